"""Alembic revisions of the record store, oldest first."""
