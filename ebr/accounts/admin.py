"""Administering accounts: created with a password the owner must change (and which meets the
password rules), unlocked, disabled and given other roles with a reason; never deleted, ids
never reused. Each act is audited; disabling and a role change end the person's sessions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from ebr.accounts.controls import Controls
from ebr.accounts.password_rules import check_password
from ebr.accounts.sessions import EndReason, end_sessions
from ebr.audit import audit
from ebr.domain.refusals import ReasonRequired
from ebr.domain.roles import Role
from ebr.passwords import hash_password
from ebr.store import accounts as store_accounts
from ebr.store.db import session_scope
from ebr.store.users import UserRow, add_user, get_user


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
    controls: Controls,
) -> UserRow:
    """A new account whose password the administrator set: it must be changed at first sign-in,
    and only then does the user get a signing key. User ids are never reused.

    The initial password meets the same rules as any other (``password_rejected``, field
    ``initial_password``): until it is changed it signs the user in.
    """
    check_password(user_id, initial_password, controls=controls, field="initial_password")
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
    """Disable an account (never delete it: its signatures must keep naming a person); every
    session of the person ends at once."""
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
        ends=EndReason.DISABLED,
    )


def change_roles(
    engine: Engine,
    *,
    user_id: str,
    roles: Sequence[Role],
    admin: str,
    reason: str,
    station: str,
    now: datetime,
) -> UserRow:
    """Give an account other roles; every session of the person ends at once, so what they may
    do is decided again at their next sign-in (and no page shows what they may no longer do)."""
    with session_scope(engine) as session:
        before = get_user(session=session, user_id=user_id)
        old_roles = list(before.roles) if before is not None else None
    return _with_reason(
        engine,
        user_id=user_id,
        admin=admin,
        reason=reason,
        station=station,
        now=now,
        action="user_roles_changed",
        what="changing the roles of",
        change=lambda session: store_accounts.set_roles(
            session=session, user_id=user_id, roles=roles
        ),
        old_value={"roles": old_roles},
        new_value={"roles": [Role(r).value for r in roles]},
        ends=EndReason.ROLES_CHANGED,
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
    ends: EndReason | None = None,
) -> UserRow:
    """An administrator's act on an account: a reason is required, and the act and its reason
    are audited in the same transaction as the change (and, with ``ends``, the end of every
    session of the person)."""
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
        if ends is not None:
            end_sessions(
                session, user_id=user_id, reason=ends, actor=admin, station=station, now=now
            )
        return user
