"""Alembic migrations of the record store; run them with ebr.store.db.migrate(url)."""
