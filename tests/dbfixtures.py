"""Fresh, throwaway databases for tests: a uniquely named PostgreSQL database or a SQLite file.

PostgreSQL is not optional: if the server cannot be reached these helpers fail loudly rather than
skip, because a store tested on SQLite alone is not tested.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError

from ebr.store.db import normalize_url

__all__ = ["DEFAULT_ADMIN_URL", "admin_url", "postgres_database", "sqlite_database"]

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def admin_url() -> str:
    """Where to create test databases: ``EBR_TEST_POSTGRES_URL`` if set, else the local server."""
    return os.environ.get("EBR_TEST_POSTGRES_URL") or DEFAULT_ADMIN_URL


@contextmanager
def postgres_database(admin: str | None = None) -> Iterator[str]:
    """Create ``ebr_test_<random>`` on the server, yield its URL, drop it (even if in use) after."""
    server = normalize_url(admin or admin_url())
    name = f"ebr_test_{secrets.token_hex(6)}"
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        except OperationalError as exc:
            where = server.render_as_string(hide_password=True)
            raise RuntimeError(
                f"PostgreSQL is unreachable at {where}: start it or set EBR_TEST_POSTGRES_URL "
                f"(tests need it; they do not skip). Cause: {exc.orig}"
            ) from exc
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            with engine.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        engine.dispose()


@contextmanager
def sqlite_database(directory: Path | None = None) -> Iterator[str]:
    """Yield the URL of a SQLite file (not yet created) in ``directory`` or a new temporary one."""
    if directory is not None:
        yield f"sqlite:///{directory / 'ebr.db'}"
        return
    with tempfile.TemporaryDirectory(prefix="ebr_test_") as tmp:
        yield f"sqlite:///{Path(tmp) / 'ebr.db'}"
