"""Engines, migrations and sessions for the record store (SQLite or PostgreSQL)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlmodel import Session

__all__ = ["make_engine", "migrate", "normalize_url", "session_scope"]

MIGRATIONS = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_SECONDS = 10
# Any constant works; it only has to be the same in every process that migrates this database.
_MIGRATION_LOCK_KEY = 0x0EB2_0001


def normalize_url(url: str) -> URL:
    """Parse a database URL; plain ``postgresql://`` (and ``postgres://``) mean psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str, *, read_only: bool = False) -> Engine:
    """An engine tuned for a durable record store.

    SQLite: WAL (readers never block the writer), a busy timeout, foreign keys enforced, and every
    transaction begun IMMEDIATE so two writers queue on the lock instead of one failing with
    "database is locked" when it upgrades a read to a write. The file's directory is created.

    ``read_only``: for code that only reads (the API's queries). The database refuses its writes,
    and on SQLite its transactions begin deferred, taking no lock: in WAL mode a reader then
    never waits for a writer, so it may run on an event loop without stalling it.
    """
    parsed = normalize_url(url)
    if parsed.get_backend_name() != "sqlite":
        options = {"postgresql_readonly": True} if read_only else {}
        return create_engine(parsed, pool_pre_ping=True, execution_options=options)
    if parsed.database and parsed.database != ":memory:" and "mode=memory" not in str(parsed):
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        parsed,
        pool_pre_ping=True,
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_SECONDS},
    )
    event.listen(engine, "connect", _sqlite_connect)
    if read_only:
        event.listen(engine, "connect", _sqlite_query_only)
        event.listen(engine, "begin", _sqlite_begin_deferred)
    else:
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # isolation_level=None stops pysqlite issuing its own deferred BEGIN; _sqlite_begin does it.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
    _ensure_wal(cursor)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _ensure_wal(cursor: Any) -> None:
    """Switch a new database to WAL. The switch needs a lock the busy timeout does not wait for,
    so while another process holds the database (say, migrating it) it is retried here."""
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_query_only(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA query_only=ON")


def _sqlite_begin_deferred(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


def migrate(url: str) -> None:
    """Bring the database to the newest schema (``alembic upgrade head``); safe on every start.

    The whole upgrade runs in one transaction holding a lock (SQLite's write lock, a PostgreSQL
    advisory lock), so two processes starting together migrate once: the second waits, then
    finds the schema current and does nothing. No alembic.ini is needed on disk.
    """
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
                )
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()


def alembic_config() -> Config:
    """An Alembic configuration built in code, pointing at the migrations in this package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    return config


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit if the block succeeds, roll back if it raises.

    Rows stay readable after the block (no expiry on commit), so callers can return them.
    """
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
