"""The pure domain of ebr: recipes, batches, steps and their rules. No I/O, no frameworks."""
