"""Account controls: failures counted (also concurrently), lockout at the limit, unlock, passwords."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from ebr.store import NotFound, session_scope
from ebr.store.accounts import (
    record_failure,
    record_success,
    set_active,
    set_password,
    touch_signature,
    unlock,
)
from ebr.store.users import UserRow, get_user
from tests.store.builders import T0
from tests.store.evidence import person


@pytest.fixture
def olga(engine: Engine) -> Engine:
    person(engine, "olga")
    return engine


def _user(engine: Engine, user_id: str = "olga") -> UserRow:
    with session_scope(engine) as session:
        user = get_user(session=session, user_id=user_id)
    assert user is not None
    return user


def _fail(engine: Engine, minute: int, limit: int = 3) -> UserRow:
    with session_scope(engine) as session:
        return record_failure(
            session=session, user_id="olga", at=T0 + timedelta(minutes=minute), limit=limit
        )


def test_a_new_user_has_clean_account_controls(olga: Engine) -> None:
    user = _user(olga)
    assert user.failed_attempts == 0
    assert (user.locked_at, user.password_changed_at, user.last_login_at) == (None, None, None)
    assert user.last_signature_at is None


def test_the_limit_th_failure_locks_and_later_ones_keep_counting(olga: Engine) -> None:
    assert (_fail(olga, 1).failed_attempts, _fail(olga, 2).locked_at) == (1, None)
    locked = _fail(olga, 3)
    assert (locked.failed_attempts, locked.locked_at) == (3, T0 + timedelta(minutes=3))
    later = _fail(olga, 4)
    assert (later.failed_attempts, later.locked_at) == (4, T0 + timedelta(minutes=3))
    assert _user(olga).locked_at == T0 + timedelta(minutes=3)


def test_a_success_restarts_the_count_but_does_not_lift_a_lock(olga: Engine) -> None:
    _fail(olga, 1)
    _fail(olga, 2)
    with session_scope(olga) as session:
        record_success(session=session, user_id="olga", at=T0 + timedelta(minutes=3))
    user = _user(olga)
    assert (user.failed_attempts, user.last_login_at) == (0, T0 + timedelta(minutes=3))
    assert _fail(olga, 4).locked_at is None  # the count restarted: one failure, not three
    for minute in (5, 6):
        _fail(olga, minute)
    with session_scope(olga) as session:
        record_success(session=session, user_id="olga", at=T0 + timedelta(minutes=7))
    assert _user(olga).locked_at == T0 + timedelta(minutes=6)


def test_unlock_clears_the_lock_and_the_failures(olga: Engine) -> None:
    for minute in range(3):
        _fail(olga, minute)
    with session_scope(olga) as session:
        unlocked = unlock(session=session, user_id="olga", at=T0 + timedelta(hours=1))
    assert (unlocked.locked_at, unlocked.failed_attempts) == (None, 0)
    assert _user(olga).locked_at is None


def test_concurrent_failures_are_all_counted(olga: Engine) -> None:
    attempts = 12
    start = threading.Barrier(attempts, timeout=30)

    def fail(n: int) -> None:
        start.wait()
        _fail(olga, n, limit=5)

    with ThreadPoolExecutor(attempts) as pool:
        list(pool.map(fail, range(attempts)))
    user = _user(olga)
    assert user.failed_attempts == attempts
    assert user.locked_at is not None


def test_set_password_and_set_active(olga: Engine) -> None:
    with session_scope(olga) as session:
        set_password(
            session=session,
            user_id="olga",
            password_hash="$argon2id$new",
            at=T0 + timedelta(days=1),
            must_change=True,
        )
        set_active(session=session, user_id="olga", active=False)
    user = _user(olga)
    assert (user.password_hash, user.password_changed_at) == (
        "$argon2id$new",
        T0 + timedelta(days=1),
    )
    assert user.must_change_password and not user.active
    with session_scope(olga) as session:
        set_active(session=session, user_id="olga", active=True)
        set_password(
            session=session, user_id="olga", password_hash="$argon2id$own", at=T0, must_change=False
        )
    user = _user(olga)
    assert user.active and not user.must_change_password


def test_touch_signature_never_moves_back(olga: Engine) -> None:
    for minute in (5, 3, 8):
        with session_scope(olga) as session:
            touch_signature(session=session, user_id="olga", at=T0 + timedelta(minutes=minute))
    assert _user(olga).last_signature_at == T0 + timedelta(minutes=8)


def test_unknown_users_and_bad_limits_are_refused(olga: Engine) -> None:
    with pytest.raises(NotFound, match="user 'ghost' does not exist"), session_scope(olga) as s:
        record_failure(session=s, user_id="ghost", at=T0, limit=3)
    with pytest.raises(NotFound), session_scope(olga) as session:
        unlock(session=session, user_id="ghost", at=T0)
    with pytest.raises(ValueError, match="at least 1"):
        _fail(olga, 0, limit=0)
    assert _user(olga).failed_attempts == 0
