"""Account controls on users: failed sign-ins, lockout and throttling, passwords (with their
history), roles, enabling, last signature.

These functions only change the row; deciding when to call them, and auditing each change, is
the caller's job. Each reads the user row locked (PostgreSQL ``FOR UPDATE``; on SQLite every
write transaction holds the database lock), so concurrent failures are all counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session

from ebr.domain.roles import Role
from ebr.store.columns import as_utc
from ebr.store.errors import NotFound
from ebr.store.password_history import add_password
from ebr.store.users import UserRow

__all__ = [
    "clear_failures",
    "lift_expired_lock",
    "locked_row",
    "record_failure",
    "record_success",
    "set_active",
    "set_identity_confirmed",
    "set_password",
    "set_roles",
    "set_throttle",
    "touch_signature",
    "unlock",
]


def record_failure(
    *,
    session: Session,
    user_id: str,
    at: datetime,
    limit: int,
    locked_for: timedelta | None = None,
) -> UserRow:
    """Count a failed sign-in; the ``limit``-th consecutive failure locks the account at ``at``,
    until ``at + locked_for`` (None: until an administrator unlocks it).

    Failures keep counting while locked; ``locked_at`` keeps the time the lock began.
    """
    if limit < 1:
        raise ValueError(f"a lockout limit must be at least 1, not {limit}")
    row = _locked_row(session, user_id)
    row.failed_attempts += 1
    if row.failed_attempts >= limit and row.locked_at is None:
        row.locked_at = as_utc(at)
        row.locked_until = as_utc(at) + locked_for if locked_for is not None else None
    return _saved(session, row)


def lift_expired_lock(*, session: Session, user_id: str, at: datetime) -> tuple[UserRow, bool]:
    """The user's row, read for update; a timed lockout whose time is over at ``at`` is lifted
    first (the failures are forgotten too). The flag says whether a lock was lifted."""
    row = _locked_row(session, user_id)
    if row.locked_at is None or row.locked_until is None or row.locked_until > as_utc(at):
        return row, False
    row.locked_at = row.locked_until = row.throttled_until = None
    row.failed_attempts = 0
    return _saved(session, row), True


def set_throttle(*, session: Session, user_id: str, until: datetime | None) -> UserRow:
    """No password is to be tried for the account before ``until`` (None: at once)."""
    row = _locked_row(session, user_id)
    row.throttled_until = as_utc(until) if until is not None else None
    return _saved(session, row)


def record_success(*, session: Session, user_id: str, at: datetime) -> UserRow:
    """A successful sign-in at ``at``: the failure count restarts. A lock is not lifted."""
    row = _locked_row(session, user_id)
    row.failed_attempts = 0
    row.throttled_until = None
    row.last_login_at = as_utc(at)
    return _saved(session, row)


def clear_failures(*, session: Session, user_id: str) -> UserRow:
    """A successful signature: the failure count restarts (the sign-in time is not touched)."""
    row = _locked_row(session, user_id)
    row.failed_attempts = 0
    return _saved(session, row)


def unlock(*, session: Session, user_id: str, at: datetime) -> UserRow:
    """Lift a lockout and forget the failures (``at`` is checked; the caller's audit keeps it)."""
    as_utc(at)
    row = _locked_row(session, user_id)
    row.locked_at = row.locked_until = row.throttled_until = None
    row.failed_attempts = 0
    return _saved(session, row)


def set_password(
    *, session: Session, user_id: str, password_hash: str, at: datetime, must_change: bool
) -> UserRow:
    """Replace the password hash; ``must_change`` makes the user choose a new one at next sign-in.

    The hash also joins the user's password history (``ebr.store.password_history``) in the same
    transaction, so no password is ever set without being remembered."""
    row = _locked_row(session, user_id)
    row.password_hash = password_hash
    row.password_changed_at = as_utc(at)
    row.must_change_password = must_change
    add_password(session=session, user_id=user_id, password_hash=password_hash, at=at)
    return _saved(session, row)


def set_roles(*, session: Session, user_id: str, roles: Sequence[Role]) -> UserRow:
    """Replace the user's roles."""
    row = _locked_row(session, user_id)
    row.roles = [Role(role).value for role in roles]
    return _saved(session, row)


def set_active(*, session: Session, user_id: str, active: bool) -> UserRow:
    """Enable or disable an account (users are disabled, never deleted)."""
    row = _locked_row(session, user_id)
    row.active = active
    return _saved(session, row)


def set_identity_confirmed(*, session: Session, user_id: str, by: str, at: datetime) -> UserRow:
    """The person's identity was confirmed by ``by`` at ``at``: the account may sign from now."""
    row = _locked_row(session, user_id)
    row.identity_confirmed_by = by
    row.identity_confirmed_at = as_utc(at)
    return _saved(session, row)


def touch_signature(*, session: Session, user_id: str, at: datetime) -> UserRow:
    """Note a signature at ``at``; an older time arriving late (a retry) does not move it back."""
    moment = as_utc(at)
    row = _locked_row(session, user_id)
    if row.last_signature_at is None or row.last_signature_at < moment:
        row.last_signature_at = moment
    return _saved(session, row)


def locked_row(session: Session, user_id: str) -> UserRow:
    """The user's row, read for update (NotFound when there is none)."""
    return _locked_row(session, user_id)


def _locked_row(session: Session, user_id: str) -> UserRow:
    row = session.get(UserRow, user_id, with_for_update=True, populate_existing=True)
    if row is None:
        raise NotFound(f"user {user_id!r} does not exist", {"user_id": user_id})
    return row


def _saved(session: Session, row: UserRow) -> UserRow:
    session.add(row)
    session.flush()
    return row
