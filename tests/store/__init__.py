"""Tests of the record store, run on SQLite and PostgreSQL."""
