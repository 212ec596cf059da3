"""The pages, grouped by what they are about."""
