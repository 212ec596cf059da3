"""Throttling and timed lockout attacked at the account controls, with the clock in the test's
hands: the delays grow and are refused before any password is tried, a burst of attempts made at
once tries one password, an attacker's lockout ends by itself after the cooling period (audited)
and alerts administrators and QA, a permanent lockout does not end, and one address spraying
many user ids is slowed down without touching anyone else's address."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from ebr.accounts import Controls, sign_in
from ebr.accounts.errors import AccountLocked, InvalidCredentials, SignInThrottled
from ebr.accounts.sessions import open_session
from ebr.accounts.throttle import delay
from ebr.domain.refusals import Refusal
from ebr.store import session_scope
from ebr.store.alerts import list_alerts
from ebr.store.audit import list_audit
from ebr.store.sessions import get_session
from ebr.store.users import UserRow, get_user
from ebr.trust import SiteTrust
from tests.people import new_user

PASSWORD = "Right-pass-2024"
T0 = datetime(2026, 3, 4, 8, 0, tzinfo=UTC)


def attempt(
    engine: Engine,
    user_id: str,
    password: str,
    at: datetime,
    controls: Controls,
    source: str | None = "192.0.2.66",
) -> UserRow:
    return sign_in(
        engine,
        user_id=user_id,
        password=password,
        station=source or "t",
        now=at,
        controls=controls,
        source=source,
    )


def row(engine: Engine, user_id: str) -> UserRow:
    with session_scope(engine) as session:
        user = get_user(session=session, user_id=user_id)
    assert user is not None
    return user


def test_the_delay_doubles_from_the_first_costly_failure_up_to_its_cap(controls: Controls) -> None:
    assert [delay(n, controls=controls).total_seconds() for n in range(6)] == [0, 1, 2, 4, 8, 16]
    assert delay(40, controls=controls) == controls.throttle_max
    assert delay(10_000, controls=controls) == controls.throttle_max, "no overflow"
    assert delay(10, controls=controls, free=10) == timedelta(0)
    assert delay(11, controls=controls, free=10) == timedelta(seconds=1)
    assert delay(7, controls=replace(controls, throttle=timedelta(0))) == timedelta(0)


def test_an_attackers_lockout_ends_after_the_cooling_period_and_alerts(
    engine: Engine, trust: SiteTrust, controls: Controls
) -> None:
    assert (controls.max_failures, controls.lockout) == (5, timedelta(minutes=30))
    user = new_user(engine, trust, password=PASSWORD, with_key=False, prefix="qa")
    session_id = open_session(engine, user_id=user, station="qa desk", now=T0)
    now = T0
    for n in range(1, 5):
        with pytest.raises(InvalidCredentials):
            attempt(engine, user, f"guess-{n}", now, controls)
        wait = delay(n, controls=controls)
        with pytest.raises(SignInThrottled) as throttled:  # even the right password waits
            attempt(engine, user, PASSWORD, now + wait / 2, controls, source="192.0.2.1")
        assert throttled.value.details == {"retry_after": max(1, int(wait.total_seconds() / 2))}
        now += wait
    assert row(engine, user).failed_attempts == 4, "no password was tried while throttled"
    with pytest.raises(AccountLocked) as locked:
        attempt(engine, user, "guess-5", now, controls)
    until = now + timedelta(minutes=30)
    assert locked.value.details == {"locked_until": until.isoformat(), "retry_after": 1800}
    with pytest.raises(AccountLocked):  # the real user, with the right password, waits too
        attempt(engine, user, PASSWORD, until - timedelta(seconds=1), controls, source="10.0.0.5")

    signed_in = attempt(engine, user, PASSWORD, until, controls, source="10.0.0.5")
    assert (signed_in.locked_at, signed_in.failed_attempts) == (None, 0)
    with session_scope(engine) as session:
        trail = list_audit(session=session, entity_id=user, limit=1000)
        alerts = [a for a in list_alerts(session=session) if a.user_id == user]
        old = get_session(session=session, session_id=session_id)
    actions = [(e.action, e.actor) for e in trail]
    assert ("account_locked", "system") in actions
    assert ("sessions_ended", "system") in actions, "the lockout ended her live session"
    assert old is not None and old.end_reason == "account locked"
    assert [e.reason for e in trail if e.action == "user_unlocked"] == [
        "the lockout's cooling period (30 minutes) is over"
    ]
    assert actions[-1] == ("login", user)
    (alert,) = alerts
    assert alert.kind == "account_locked"
    assert f"Account {user}" in alert.message and "5 failed password attempts" in alert.message
    assert alert.detail["locked_until"] == until.isoformat()


def test_a_permanent_lockout_waits_for_an_administrator(
    engine: Engine, trust: SiteTrust, controls: Controls
) -> None:
    forever = replace(controls, lockout=None, throttle=timedelta(0))
    user = new_user(engine, trust, password=PASSWORD, with_key=False, prefix="perm")
    for n in range(4):
        with pytest.raises(InvalidCredentials):
            attempt(engine, user, f"guess-{n}", T0 + timedelta(seconds=n), forever)
    with pytest.raises(AccountLocked) as locked:
        attempt(engine, user, "guess-4", T0 + timedelta(seconds=4), forever)
    assert locked.value.details == {"locked_until": None}
    assert "administrator must unlock" in locked.value.message
    with pytest.raises(AccountLocked):
        attempt(engine, user, PASSWORD, T0 + timedelta(days=30), forever)


def test_a_burst_of_attempts_at_once_tries_one_password(
    engine: Engine, trust: SiteTrust, controls: Controls
) -> None:
    """Twelve wrong passwords sent at the same moment: the first to reach the account reserves
    the delay, the others are throttled without trying theirs."""
    user = new_user(engine, trust, password=PASSWORD, with_key=False, prefix="burst")
    attempts = 12
    start = threading.Barrier(attempts, timeout=60)

    def guess(n: int) -> str:
        start.wait()
        try:
            attempt(engine, user, f"guess-{n}", T0, controls, source=f"198.18.0.{n}")
        except Refusal as exc:
            return exc.code
        return "signed in"

    with ThreadPoolExecutor(attempts) as pool:
        codes = sorted(pool.map(guess, range(attempts)))
    assert codes == ["invalid_credentials"] + ["sign_in_throttled"] * (attempts - 1)
    assert row(engine, user).failed_attempts == 1


def test_one_address_spraying_user_ids_is_slowed_and_no_one_else_is(
    engine: Engine, trust: SiteTrust, controls: Controls
) -> None:
    attacker, desk = "203.0.113.77", "198.51.100.20"
    free = controls.source_free_failures
    for n in range(free + 1):
        with pytest.raises(InvalidCredentials):
            attempt(engine, f"nobody-{n}", "guess", T0 + timedelta(seconds=n), controls, attacker)
    later = T0 + timedelta(seconds=free)
    with pytest.raises(SignInThrottled, match="for this address"):
        attempt(engine, "nobody-x", "guess", later, controls, attacker)
    user = new_user(engine, trust, password=PASSWORD, with_key=False, prefix="desk")
    assert attempt(engine, user, PASSWORD, later, controls, desk).user_id == user
    with pytest.raises(InvalidCredentials):  # after the delay, the address may try again
        attempt(engine, "nobody-y", "guess", later + timedelta(seconds=1), controls, attacker)


def test_a_huge_user_id_is_cut_before_it_is_audited(engine: Engine, controls: Controls) -> None:
    huge = "z" + "x" * 200_000
    with pytest.raises(InvalidCredentials):
        attempt(engine, huge, PASSWORD, T0 + timedelta(days=40), controls, source="192.0.2.99")
    with session_scope(engine) as session:
        entries = list_audit(session=session, actor=huge[:64])
    assert entries and all(len(e.canonical) < 2_000 for e in entries)
