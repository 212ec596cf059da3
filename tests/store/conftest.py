"""Fixtures for store tests: each test runs on a fresh SQLite and a fresh PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from ebr.store.db import make_engine, migrate
from tests.dbfixtures import postgres_database, sqlite_database

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def blank_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database that exists but has never been migrated (SQLite: not even a file)."""
    if request.param == "sqlite":
        with sqlite_database(tmp_path / "data") as url:
            yield url
    else:
        with postgres_database() as url:
            yield url


@pytest.fixture
def store_url(blank_url: str) -> str:
    """The URL of an empty, migrated database on one backend."""
    migrate(blank_url)
    return blank_url


@pytest.fixture
def postgres_engine() -> Iterator[Engine]:
    """A migrated PostgreSQL database alone, for what only PostgreSQL can show."""
    with postgres_database() as url:
        migrate(url)
        engine = make_engine(url)
        yield engine
        engine.dispose()


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    engine = make_engine(store_url)
    yield engine
    engine.dispose()
