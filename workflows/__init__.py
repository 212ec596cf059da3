"""Temporal workflows: deterministic, the only writers of batch state."""
