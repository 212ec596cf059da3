"""Signing in (21 CFR 11.300): the password checked, failures audited and counted, and
whether the password must be changed first (set by an administrator, or too old)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from ebr.accounts.controls import Controls
from ebr.accounts.refusals import refuse
from ebr.audit import audit
from ebr.passwords import verify_password
from ebr.store import accounts as store_accounts
from ebr.store.db import session_scope
from ebr.store.users import UserRow, get_user


def sign_in(
    engine: Engine, *, user_id: str, password: str, station: str, now: datetime, controls: Controls
) -> UserRow:
    """The user, if the password is right and the account open; else audited and refused."""
    with session_scope(engine) as session:
        user = get_user(session=session, user_id=user_id)
        valid = verify_password(user.password_hash if user else None, password)
        if user is not None and user.locked_at is None and valid and user.active:
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
    )
    raise AssertionError("unreachable")  # _refuse always raises


def needs_new_password(user: UserRow, *, now: datetime, controls: Controls) -> bool:
    """True when an admin set the password, or it is older than the rules allow."""
    changed = user.password_changed_at or user.created_at
    return user.must_change_password or now - changed > controls.password_max_age
