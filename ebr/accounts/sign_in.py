"""Signing in (21 CFR 11.300): throttled and locked-out attempts refused before any password is
tried, the password checked, failures audited and counted, and whether the password must be
changed first (set by an administrator, or too old)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from ebr.accounts.controls import Controls
from ebr.accounts.refusals import refuse
from ebr.accounts.throttle import admit, is_locked
from ebr.audit import audit
from ebr.passwords import verify_password
from ebr.store import accounts as store_accounts
from ebr.store.db import session_scope
from ebr.store.users import UserRow, get_user

LONGEST_ID_KEPT = 64


def sign_in(
    engine: Engine,
    *,
    user_id: str,
    password: str,
    station: str,
    now: datetime,
    controls: Controls,
    source: str | None = None,
) -> UserRow:
    """The user, if the password is right and the account open; else audited and refused.

    ``source`` is the network address the attempt came from (throttled on its own; None when
    there is none to throttle, as for the current password of a signed-in user's password
    change). Raises ``sign_in_throttled`` or ``account_locked`` before trying the password
    (``ebr.accounts.throttle.admit``), ``invalid_credentials`` for a wrong password, an unknown
    user id or a disabled account (one message for all three).
    """
    # No user id is longer than 32 characters: a longer one is cut before it is throttled or
    # audited, so a 200,000-character name is not written for ever into the audit trail.
    user_id = user_id[:LONGEST_ID_KEPT]
    admit(engine, user_id=user_id, source=source, station=station, now=now, controls=controls)
    with session_scope(engine) as session:
        user = get_user(session=session, user_id=user_id)
    valid = verify_password(user.password_hash if user else None, password)
    if user is not None and valid and user.active and not is_locked(user, now=now):
        with session_scope(engine) as session:
            user = store_accounts.record_success(session=session, user_id=user_id, at=now)
            audit(
                session,
                event_key=f"login/{user_id}/{now.isoformat()}",
                at=now,
                actor=user_id,
                station=station,
                action="login",
                entity="user",
                entity_id=user_id,
            )
            return user
    refuse(
        engine,
        user=user,
        user_id=user_id,
        station=station,
        now=now,
        controls=controls,
        action="login_failed",
        counts=valid is False,
        source=source,
    )
    raise AssertionError("unreachable")  # refuse always raises


def needs_new_password(user: UserRow, *, now: datetime, controls: Controls) -> bool:
    """True when an admin set the password, or it is older than the rules allow."""
    changed = user.password_changed_at or user.created_at
    return user.must_change_password or now - changed > controls.password_max_age
