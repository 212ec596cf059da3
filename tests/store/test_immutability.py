"""Attacks on the evidence through SQL: the triggers of migrations 0003 and 0005 refuse them on both
backends.

Each attack runs as plain SQL on its own connection, as someone with write access but without
the rights to drop triggers would. Legitimate changes (re-wrapping a key, retiring it once,
account controls, batch progress) still go through. Dropping the triggers lets edits in; the
hashes stored with the evidence still show them.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, MetaData, inspect, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel

from ebr.domain.batch import BatchStatus
from ebr.store import migrate, session_scope
from ebr.store.accounts import record_failure
from ebr.store.audit import AuditRow, append_audit
from ebr.store.batches import get_batch, insert_batch, update_batch_progress
from ebr.store.checkpoints import CheckpointRow, save_checkpoint
from ebr.store.db import make_engine
from ebr.store.keys import UserKeyRow, add_user_key, get_key, replace_wrapped, retire_key
from ebr.store.recipes import save_recipe
from ebr.store.signed_records import insert_signed_record, list_batch_records
from ebr.store.users import UserRow
from tests.store.builders import T0, header, lot_release, recipe, recipe_source, weighing
from tests.store.evidence import audit_entry, person, signed
from tests.store.revisions import downgrade_to, upgrade_to
from tests.store.tamper import drop_guards

EVIDENCE_TABLES = {"audit_log", "audit_checkpoints", "user_keys"}
GUARDED = ("signed_records", "recipes", "audit_log", "audit_checkpoints", "users", "user_keys")


@pytest.fixture
def evidence(engine: Engine) -> Engine:
    return _seed(engine)


def _seed(engine: Engine) -> Engine:
    """One of everything: users, a key, a batch with a signed record, audit entries, a checkpoint."""
    person(engine, "olga")
    person(engine, "sam")
    with session_scope(engine) as session:
        add_user_key(
            session=session,
            key_id="k1",
            user_id="olga",
            wrapped='{"wrapped":1}',
            certificate_pem="-----BEGIN CERTIFICATE-----\nk1\n-----END CERTIFICATE-----\n",
            valid_from=T0,
        )
        save_recipe(
            session=session, recipe=recipe(), source=recipe_source(), loaded_by="ada", at=T0
        )
        insert_batch(session=session, header=header("b-1"), steps_total=2)
        insert_signed_record(session=session, record=weighing("b-1"), evidence=signed({"seq": 1}))
        insert_signed_record(
            session=session, record=lot_release("LOT-1"), evidence=signed({"lot": 1})
        )
        for n in range(3):
            append_audit(session=session, entry=audit_entry(n))
        save_checkpoint(
            session=session,
            tree_size=3,
            root_hash="ab" * 32,
            at=T0,
            origin="ebr.example/audit",
            key_id="k-server",
            signature="c2ln",
            document='{"tree_size":3}',
        )
    return engine


def _snapshot(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    with engine.connect() as connection:
        return {
            table: [tuple(row) for row in connection.execute(text(f"SELECT * FROM {table}"))]
            for table in GUARDED
        }


ATTACKS = [
    ("signed_records", "UPDATE signed_records SET comment = 'weighed on scale S-4'"),
    ("signed_records", "UPDATE signed_records SET subject_id = 'other' WHERE chain_kind = 'lot'"),
    ("signed_records", "UPDATE signed_records SET chain_id = 'b-2', batch_id = NULL"),
    ("signed_records", "UPDATE signed_records SET seq = seq + 1"),
    ("signed_records", "UPDATE signed_records SET signature = 'forged', key_id = 'k2'"),
    ("signed_records", "DELETE FROM signed_records"),
    ("signed_records", "DELETE FROM signed_records WHERE chain_kind = 'lot'"),
    ("recipes", "UPDATE recipes SET body = '{}'"),
    ("recipes", "UPDATE recipes SET content_hash = 'ab', body = 'cd'"),
    ("recipes", "DELETE FROM recipes"),
    ("audit_log", "UPDATE audit_log SET reason = 'nothing happened'"),
    ("audit_log", "UPDATE audit_log SET idx = idx + 10"),
    ("audit_log", "DELETE FROM audit_log WHERE idx = 1"),
    ("audit_checkpoints", "UPDATE audit_checkpoints SET root_hash = 'cd'"),
    ("audit_checkpoints", "DELETE FROM audit_checkpoints"),
    ("users", "DELETE FROM users WHERE user_id = 'sam'"),
    ("user_keys", "DELETE FROM user_keys"),
    ("user_keys", "UPDATE user_keys SET certificate_pem = 'forged'"),
    ("user_keys", "UPDATE user_keys SET user_id = 'sam'"),
    ("user_keys", "UPDATE user_keys SET key_id = 'k2'"),
    ("user_keys", "UPDATE user_keys SET valid_from = (SELECT max(at) FROM audit_log)"),
]


@pytest.mark.parametrize(("table", "attack"), ATTACKS, ids=[a for _, a in ATTACKS])
def test_attacks_are_refused_naming_the_table(evidence: Engine, table: str, attack: str) -> None:
    before = _snapshot(evidence)
    with pytest.raises(DBAPIError, match=rf"{table} .*refused"), evidence.begin() as connection:
        connection.execute(text(attack))
    assert _snapshot(evidence) == before


def test_a_retired_key_cannot_be_brought_back(evidence: Engine) -> None:
    with session_scope(evidence) as session:
        retire_key(session=session, key_id="k1", at=T0 + timedelta(days=1))
    for attack in (
        "UPDATE user_keys SET retired_at = NULL",
        "UPDATE user_keys SET retired_at = NULL, wrapped = 'x'",
    ):
        with pytest.raises(DBAPIError, match="user_keys keeps a retired key retired"):
            with evidence.begin() as connection:
                connection.execute(text(attack))
    with session_scope(evidence) as session:
        key = get_key(session=session, key_id="k1")
    assert key is not None and key.retired_at == T0 + timedelta(days=1)


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("table", "attack"),
    [
        ("audit_log", "TRUNCATE audit_log"),
        ("signed_records", "TRUNCATE signed_records"),
        ("audit_checkpoints", "TRUNCATE audit_checkpoints"),
        ("(signed_records|reports)", "TRUNCATE batches CASCADE"),
        ("users", "TRUNCATE users CASCADE"),
        ("user_keys", "TRUNCATE user_keys"),
    ],
)
def test_truncate_is_refused_on_postgres(postgres_engine: Engine, table: str, attack: str) -> None:
    _seed(postgres_engine)
    before = _snapshot(postgres_engine)
    with pytest.raises(DBAPIError, match=rf"{table} .*: TRUNCATE refused"):
        with postgres_engine.begin() as connection:
            connection.execute(text(attack))
    assert _snapshot(postgres_engine) == before


def test_legitimate_changes_still_work(evidence: Engine) -> None:
    with session_scope(evidence) as session:
        replace_wrapped(session=session, key_id="k1", wrapped='{"wrapped":2}')
        retire_key(session=session, key_id="k1", at=T0 + timedelta(days=1))
        record_failure(session=session, user_id="sam", at=T0, limit=3)
        update_batch_progress(
            session=session,
            batch_id="b-1",
            status=BatchStatus.IN_PROGRESS,
            steps_done=1,
            completed_at=None,
            at=T0 + timedelta(minutes=5),
            seq=1,
        )
        append_audit(session=session, entry=audit_entry(3))
    with session_scope(evidence) as session:
        key = get_key(session=session, key_id="k1")
        batch = get_batch(session=session, batch_id="b-1")
    assert key is not None and key.wrapped == '{"wrapped":2}' and key.retired_at is not None
    assert batch is not None and batch.steps_done == 1


def test_with_the_triggers_dropped_edits_go_in_but_the_hashes_show_them(evidence: Engine) -> None:
    with evidence.begin() as connection:
        dropped = drop_guards(connection)
        connection.execute(text("UPDATE signed_records SET payload = replace(payload, '1', '2')"))
        connection.execute(text("UPDATE audit_log SET canonical = canonical || ' ' WHERE idx = 1"))
    assert dropped  # there were triggers to drop
    with session_scope(evidence) as session:
        (record,) = list_batch_records(session=session, batch_id="b-1")
        entry = session.get(AuditRow, 1)
    assert record.payload is not None and entry is not None
    assert hashlib.sha256(record.payload.encode()).hexdigest() != record.record_hash
    assert hashlib.sha256(b"\x00" + entry.canonical.encode()).hexdigest() != entry.leaf_hash


def test_downgrade_removes_the_guards_and_upgrade_restores_them(blank_url: str) -> None:
    """From 0004, the newest revision that can go down (0005 cannot), to 0002; then
    up to the head, whose guards are signed_records' and no longer step_records'."""
    upgrade_to(blank_url, "0004")
    engine = make_engine(blank_url)
    try:
        old = "append_only" if engine.dialect.name == "postgresql" else "no_delete"
        assert f"ebr_step_records_{old}" in _guards(engine)
        downgrade_to(blank_url, "0002")
        assert _guards(engine) == []
        assert not EVIDENCE_TABLES & set(inspect(engine).get_table_names())
        assert "failed_attempts" not in {c["name"] for c in inspect(engine).get_columns("users")}
        migrate(blank_url)
        guards = _guards(engine)
        # 0007 adds four: UPDATE and DELETE (PostgreSQL: one trigger, and TRUNCATE) on alerts
        # and password_history.
        assert len(guards) == (19 if engine.dialect.name == "postgresql" else 18)
        assert not [name for name in guards if "step_records" in name]
        assert {name for name in guards if "signed_records" in name} == (
            {"ebr_signed_records_append_only", "ebr_signed_records_no_truncate"}
            if engine.dialect.name == "postgresql"
            else {"ebr_signed_records_no_update", "ebr_signed_records_no_delete"}
        )
        person(engine, "ann")
        with pytest.raises(DBAPIError, match="users keeps every row"), engine.begin() as connection:
            connection.execute(text("DELETE FROM users"))
    finally:
        engine.dispose()


def test_signed_records_cannot_be_migrated_down(store_url: str) -> None:
    with pytest.raises(NotImplementedError, match="cannot be made format 1"):
        downgrade_to(store_url, "0004")
    engine = make_engine(store_url)
    try:
        assert "signed_records" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def _guards(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
        else:
            query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        return sorted(name for name in connection.execute(text(query)).scalars())


def test_migration_matches_the_evidence_table_models(engine: Engine) -> None:
    """Migration 0003 creates exactly what AuditRow, CheckpointRow and UserKeyRow declare."""
    metadata = MetaData()
    for model in (UserRow, AuditRow, CheckpointRow, UserKeyRow):  # user_keys refers to users
        SQLModel.metadata.tables[str(model.__tablename__)].to_metadata(metadata)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, metadata)
    assert [d for d in diffs if not _elsewhere(d)] == []


def _elsewhere(diff: object) -> bool:
    if not isinstance(diff, tuple) or diff[0] not in ("remove_table", "remove_index"):
        return False
    table = diff[1] if diff[0] == "remove_table" else diff[1].table
    return table.name not in EVIDENCE_TABLES | {"users"}
