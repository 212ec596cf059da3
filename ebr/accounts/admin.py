"""Administering accounts: created with a password the owner must change, unlocked and
disabled with a reason; never deleted, ids never reused. Each act is audited."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from ebr.audit import audit
from ebr.domain.refusals import ReasonRequired
from ebr.domain.roles import Role
from ebr.passwords import hash_password
from ebr.store import accounts as store_accounts
from ebr.store.db import session_scope
from ebr.store.users import UserRow, add_user


def create_user(
    engine: Engine,
    *,
    user_id: str,
    full_name: str,
    roles: Sequence[Role],
    initial_password: str,
    admin: str,
    station: str,
    now: datetime,
) -> UserRow:
    """A new account whose password the administrator set: it must be changed at first sign-in,
    and only then does the user get a signing key. User ids are never reused."""
    password_hash = hash_password(initial_password)
    with session_scope(engine) as session:
        add_user(
            session=session,
            user_id=user_id,
            full_name=full_name,
            roles=roles,
            password_hash=password_hash,
            created_by=admin,
            at=now,
        )
        user = store_accounts.set_password(
            session=session, user_id=user_id, password_hash=password_hash, at=now, must_change=True
        )
        audit(
            session,
            event_key=f"user/{user_id}/created",
            at=now,
            actor=admin,
            station=station,
            action="user_created",
            entity="user",
            entity_id=user_id,
            new_value={"full_name": full_name, "roles": [r.value for r in roles]},
        )
        return user


def disable_user(
    engine: Engine, *, user_id: str, admin: str, reason: str, station: str, now: datetime
) -> UserRow:
    """Disable an account (never delete it: its signatures must keep naming a person)."""
    return _with_reason(
        engine,
        user_id=user_id,
        admin=admin,
        reason=reason,
        station=station,
        now=now,
        action="user_disabled",
        what="disabling",
        change=lambda session: store_accounts.set_active(
            session=session, user_id=user_id, active=False
        ),
        old_value={"active": True},
        new_value={"active": False},
    )


def unlock(
    engine: Engine, *, user_id: str, admin: str, reason: str, station: str, now: datetime
) -> UserRow:
    """Lift a lockout; the failure count restarts."""
    return _with_reason(
        engine,
        user_id=user_id,
        admin=admin,
        reason=reason,
        station=station,
        now=now,
        action="user_unlocked",
        what="unlocking",
        change=lambda session: store_accounts.unlock(session=session, user_id=user_id, at=now),
    )


def _with_reason(
    engine: Engine,
    *,
    user_id: str,
    admin: str,
    reason: str,
    station: str,
    now: datetime,
    action: str,
    what: str,
    change: Callable[[Session], UserRow],
    old_value: Any = None,
    new_value: Any = None,
) -> UserRow:
    """An administrator's act on an account: a reason is required, and the act and its reason
    are audited in the same transaction as the change."""
    if not reason.strip():
        raise ReasonRequired(f"{what} an account needs a reason", {"field": "reason"})
    with session_scope(engine) as session:
        user = change(session)
        audit(
            session,
            event_key=f"user/{user_id}/{action}/{now.isoformat()}",
            at=now,
            actor=admin,
            station=station,
            action=action,
            entity="user",
            entity_id=user_id,
            old_value=old_value,
            new_value=new_value,
            reason=reason,
        )
        return user
