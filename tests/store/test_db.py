"""Engines, migrations and sessions on both backends."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, inspect, select, text
from sqlalchemy.exc import DBAPIError, StatementError
from sqlmodel import SQLModel

from ebr.store import BatchRow, RecipeRow, SignedRecordRow, UserRow, migrate, session_scope
from ebr.store.db import alembic_config, make_engine, normalize_url
from ebr.store.users import add_user, get_user

STORE_TABLES = {"users", "recipes", "batches", "signed_records"}


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_migrate_twice_is_harmless_and_keeps_data(store_url: str, engine: Engine) -> None:
    with session_scope(engine) as session:
        add_user(
            session=session,
            user_id="ann",
            full_name="Ann",
            roles=[],
            password_hash="x",
            created_by="admin",
            at=datetime.now(UTC),
        )
    migrate(store_url)
    assert STORE_TABLES <= _tables(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).all() == [
            (ScriptDirectory.from_config(alembic_config()).get_current_head(),)
        ]
    with session_scope(engine) as session:
        assert get_user(session=session, user_id="ann") is not None


def test_two_processes_migrating_at_once_both_succeed(blank_url: str) -> None:
    code = "import sys; from ebr.store import migrate; migrate(sys.argv[1])"
    runs = [
        subprocess.Popen([sys.executable, "-c", code, blank_url], stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for run in runs:
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err.decode()
    engine = make_engine(blank_url)
    try:
        assert STORE_TABLES <= _tables(engine)
    finally:
        engine.dispose()


def test_migration_matches_the_table_models(engine: Engine) -> None:
    """The hand-written migration creates exactly what the SQLModel tables declare."""
    metadata = MetaData()
    for model in (UserRow, RecipeRow, BatchRow, SignedRecordRow):
        SQLModel.metadata.tables[str(model.__tablename__)].to_metadata(metadata)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, metadata)
    assert [d for d in diffs if not _is_other_table(d)] == []


def _is_other_table(diff: object) -> bool:
    """Tables other modules add (and alembic's own), with their indexes, are not this test's
    business (test_immutability checks the audit and key tables the same way)."""
    if not isinstance(diff, tuple) or diff[0] not in ("remove_table", "remove_index"):
        return False
    table = diff[1] if diff[0] == "remove_table" else diff[1].table
    return table.name not in STORE_TABLES


def test_sqlite_engine_is_tuned_and_creates_its_directory(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "ebr.db"
    engine = make_engine(f"sqlite:///{target}")
    try:
        with engine.connect() as connection:
            pragma = {
                name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            }
        assert pragma == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 10000}
        assert target.exists()
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "url", ["postgresql://u@h:5432/d", "postgres://u@h:5432/d", "postgresql+psycopg://u@h:5432/d"]
)
def test_postgres_urls_use_psycopg3(url: str) -> None:
    assert normalize_url(url).drivername == "postgresql+psycopg"


def test_datetimes_come_back_aware_utc_and_equal(engine: Engine) -> None:
    local = datetime(2025, 6, 1, 14, 0, 0, 654321, tzinfo=timezone(timedelta(hours=2)))
    with session_scope(engine) as session:
        add_user(
            session=session,
            user_id="ann",
            full_name="Ann",
            roles=[],
            password_hash="x",
            created_by="admin",
            at=local,
        )
    with session_scope(engine) as session:
        stored = session.exec(select(UserRow.created_at)).one()[0]  # type: ignore[call-overload]
    assert stored == local
    assert stored.tzinfo is UTC
    assert stored.hour == 12 and stored.microsecond == 654321


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="naive"), session_scope(engine) as session:
        add_user(
            session=session,
            user_id="ann",
            full_name="Ann",
            roles=[],
            password_hash="x",
            created_by="admin",
            at=datetime(2025, 1, 1),
        )
    with pytest.raises(StatementError, match="naive"), session_scope(engine) as session:
        row = UserRow(
            user_id="bob",
            full_name="Bob",
            roles=[],
            password_hash="x",
            created_by="admin",
            created_at=datetime(2025, 1, 1),
        )
        session.add(row)
        session.flush()


def test_session_scope_rolls_back_on_error(engine: Engine) -> None:
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        add_user(
            session=session,
            user_id="ann",
            full_name="Ann",
            roles=[],
            password_hash="x",
            created_by="admin",
            at=datetime.now(UTC),
        )
        raise RuntimeError("crash before commit")
    with session_scope(engine) as session:
        assert get_user(session=session, user_id="ann") is None


def test_the_read_only_engine_refuses_writes(store_url: str, engine: Engine) -> None:
    reader = make_engine(store_url, read_only=True)
    try:
        with pytest.raises(DBAPIError), session_scope(reader) as session:
            add_user(
                session=session,
                user_id="mallory",
                full_name="Mallory",
                roles=[],
                password_hash="x",
                created_by="admin",
                at=datetime.now(UTC),
            )
        with session_scope(engine) as session:
            assert get_user(session=session, user_id="mallory") is None
    finally:
        reader.dispose()


def test_a_reader_is_not_blocked_while_a_writer_holds_the_database(
    store_url: str, engine: Engine
) -> None:
    """The API reads on its event loop: a writer's open transaction must not make it wait."""
    reader = make_engine(store_url, read_only=True)
    try:
        with engine.begin() as writer:
            writer.execute(text("UPDATE users SET full_name = full_name WHERE user_id = 'nobody'"))
            started = time.perf_counter()
            with session_scope(reader) as session:
                assert get_user(session=session, user_id="nobody") is None
            assert time.perf_counter() - started < 1.0
    finally:
        reader.dispose()
