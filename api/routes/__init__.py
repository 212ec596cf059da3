"""Routes, grouped by what they are about."""
