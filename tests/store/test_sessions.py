"""The store's part of sessions, throttling, timed lockouts, alerts and password history, on both
backends: what each function writes, concurrent failures from one address all counted, alerts
and password history refusing UPDATE and DELETE, and migration 0007 matching the models."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, MetaData, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel

from ebr.store import session_scope
from ebr.store.accounts import lift_expired_lock, record_failure, set_password, unlock
from ebr.store.alerts import AlertRow, add_alert, count_alerts, list_alerts
from ebr.store.password_history import PasswordHistoryRow, recent_hashes
from ebr.store.sessions import (
    SessionRow,
    add_session,
    end_user_sessions,
    get_session,
    touch_session,
)
from ebr.store.throttle import ThrottleSourceRow, get_source, record_source_failure
from ebr.store.users import UserRow, get_user
from tests.store.builders import T0
from tests.store.evidence import person

NEW_TABLES = {"sessions", "throttle_sources", "alerts", "password_history"}


@pytest.fixture
def people(engine: Engine) -> Engine:
    person(engine, "olga")
    person(engine, "sam")
    return engine


def _session(engine: Engine, session_id: str) -> SessionRow:
    with session_scope(engine) as session:
        row = get_session(session=session, session_id=session_id)
    assert row is not None
    return row


def test_a_session_is_touched_forward_only_and_ended_once(people: Engine) -> None:
    with session_scope(people) as session:
        for sid, user in (("s1", "olga"), ("s2", "olga"), ("s3", "sam")):
            add_session(session=session, session_id=sid, user_id=user, station="t", at=T0)
    with session_scope(people) as session:
        assert touch_session(session=session, session_id="s1", at=T0 + timedelta(minutes=5))
        assert not touch_session(session=session, session_id="s1", at=T0 + timedelta(minutes=2))
    assert _session(people, "s1").last_seen_at == T0 + timedelta(minutes=5)

    with session_scope(people) as session:
        ended = end_user_sessions(
            session=session, user_id="olga", at=T0 + timedelta(minutes=6), reason="signed out"
        )
        assert ended == 2, "every live session of olga, none of sam's"
        again = end_user_sessions(
            session=session, user_id="olga", at=T0 + timedelta(minutes=7), reason="idle"
        )
        assert again == 0
        assert not touch_session(session=session, session_id="s1", at=T0 + timedelta(hours=1))
    first = _session(people, "s1")
    assert (first.ended_at, first.end_reason) == (T0 + timedelta(minutes=6), "signed out")
    assert _session(people, "s3").ended_at is None


def test_ending_one_session_leaves_the_others(people: Engine) -> None:
    with session_scope(people) as session:
        add_session(session=session, session_id="a", user_id="olga", station="t", at=T0)
        add_session(session=session, session_id="b", user_id="olga", station="t", at=T0)
        ended = end_user_sessions(
            session=session, user_id="olga", at=T0, reason="idle", session_id="a"
        )
    assert ended == 1
    assert _session(people, "b").ended_at is None


def test_a_timed_lock_ends_by_itself_and_a_permanent_one_does_not(people: Engine) -> None:
    with session_scope(people) as session:
        for minute in range(3):
            record_failure(
                session=session,
                user_id="olga",
                at=T0 + timedelta(minutes=minute),
                limit=3,
                locked_for=timedelta(minutes=30),
            )
            record_failure(
                session=session, user_id="sam", at=T0 + timedelta(minutes=minute), limit=3
            )
    with session_scope(people) as session:
        olga, lifted = lift_expired_lock(
            session=session, user_id="olga", at=T0 + timedelta(minutes=31)
        )
        assert not lifted and olga.locked_until == T0 + timedelta(minutes=32)
        olga, lifted = lift_expired_lock(
            session=session, user_id="olga", at=T0 + timedelta(minutes=32)
        )
        assert lifted and (olga.locked_at, olga.failed_attempts) == (None, 0)
        sam, lifted = lift_expired_lock(session=session, user_id="sam", at=T0 + timedelta(days=9))
        assert not lifted and sam.locked_at is not None and sam.locked_until is None
        sam = unlock(session=session, user_id="sam", at=T0 + timedelta(days=9))
        assert (sam.locked_at, sam.locked_until, sam.throttled_until) == (None, None, None)


def test_an_addresss_failures_are_counted_and_forgotten_after_a_quiet_while(
    engine: Engine,
) -> None:
    memory = timedelta(minutes=30)
    with session_scope(engine) as session:
        for minute in (0, 1, 2):
            row = record_source_failure(
                session=session,
                address="203.0.113.9",
                at=T0 + timedelta(minutes=minute),
                forget_after=memory,
            )
        assert row.failures == 3
        row = record_source_failure(
            session=session, address="203.0.113.9", at=T0 + timedelta(hours=1), forget_after=memory
        )
        assert row.failures == 1, "33 quiet minutes: the earlier failures are forgotten"


def test_concurrent_failures_from_one_new_address_are_all_counted(engine: Engine) -> None:
    """Many first failures from an address with no row yet: one insert wins, none is lost."""
    attempts = 10
    start = threading.Barrier(attempts, timeout=30)

    def fail(n: int) -> None:
        start.wait()
        with session_scope(engine) as session:
            record_source_failure(
                session=session,
                address="198.51.100.4",
                at=T0 + timedelta(seconds=n),
                forget_after=timedelta(hours=1),
            )

    with ThreadPoolExecutor(attempts) as pool:
        list(pool.map(fail, range(attempts)))
    with session_scope(engine) as session:
        row = get_source(session=session, address="198.51.100.4")
        assert row is not None and row.failures == attempts


def test_every_password_set_joins_the_history_newest_first(people: Engine) -> None:
    with session_scope(people) as session:
        for day, digest in enumerate(["$h1", "$h2", "$h3"]):
            set_password(
                session=session,
                user_id="olga",
                password_hash=digest,
                at=T0 + timedelta(days=day),
                must_change=False,
            )
        assert recent_hashes(session=session, user_id="olga", count=2) == ["$h3", "$h2"]
        assert recent_hashes(session=session, user_id="olga", count=0) == []
        assert recent_hashes(session=session, user_id="sam", count=5) == ["$argon2id$stub"]
        user = get_user(session=session, user_id="olga")
        assert user is not None and user.password_hash == "$h3"


def test_alerts_are_listed_newest_first_and_counted(people: Engine) -> None:
    with session_scope(people) as session:
        for hour in (1, 3, 2):
            add_alert(
                session=session,
                kind="account_locked",
                user_id="olga",
                at=T0 + timedelta(hours=hour),
                message=f"locked at {hour}",
                detail={"hour": hour},
            )
    with session_scope(people) as session:
        rows = list_alerts(session=session)
        assert [r.message for r in rows] == ["locked at 3", "locked at 2", "locked at 1"]
        assert rows[0].detail == {"hour": 3}
        since = T0 + timedelta(hours=2)
        assert [r.message for r in list_alerts(session=session, since=since)] == [
            "locked at 3",
            "locked at 2",
        ]
        assert count_alerts(session=session, since=since) == 2


@pytest.mark.parametrize(
    "attack",
    [
        "UPDATE alerts SET message = 'nothing happened'",
        "DELETE FROM alerts",
        "UPDATE password_history SET password_hash = 'x'",
        "DELETE FROM password_history",
    ],
)
def test_alerts_and_password_history_refuse_changes(people: Engine, attack: str) -> None:
    with session_scope(people) as session:
        add_alert(session=session, kind="account_locked", user_id="olga", at=T0, message="m")
        set_password(session=session, user_id="olga", password_hash="$h", at=T0, must_change=False)
    with pytest.raises(DBAPIError, match="is append-only"), people.begin() as connection:
        connection.execute(text(attack))


def test_migration_0007_matches_the_models(engine: Engine) -> None:
    metadata = MetaData()
    for model in (UserRow, SessionRow, ThrottleSourceRow, AlertRow, PasswordHistoryRow):
        SQLModel.metadata.tables[str(model.__tablename__)].to_metadata(metadata)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, metadata)
    assert [d for d in diffs if not _elsewhere(d)] == []


def _elsewhere(diff: object) -> bool:
    if not isinstance(diff, tuple) or diff[0] not in ("remove_table", "remove_index"):
        return False
    table = diff[1] if diff[0] == "remove_table" else diff[1].table
    return table.name not in NEW_TABLES | {"users"}
