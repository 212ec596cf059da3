"""A migrated SQLite store for activity tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from ebr.store.db import make_engine, migrate


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'ebr.db'}"
    migrate(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()
