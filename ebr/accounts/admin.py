"""Administering accounts: each act is a Part 11 signature by an administrator, with a reason, on
the account's own chain (``ebr.accounts.events``): roles changed, disabled, enabled, unlocked,
its password reset (creating one is ``ebr.accounts.enrolment``'s). Accounts are never deleted
and ids never reused. The record, its audit entries,
the change to the row and the end of the person's sessions (disabling, a role change, a password
reset) commit together. The one unsigned act is the shell's break-glass unlock
(``unlock_from_shell``), audited with the operating system's user."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from ebr.accounts.controls import Controls
from ebr.accounts.events import Signatory, sign_event
from ebr.accounts.password_rules import check_password
from ebr.accounts.sessions import EndReason, end_sessions
from ebr.audit import audit
from ebr.domain.account_events import AccountChange, AccountEvent
from ebr.domain.accounts import check_roles
from ebr.domain.refusals import ReasonRequired
from ebr.domain.roles import Role
from ebr.passwords import hash_password
from ebr.store import accounts as store_accounts
from ebr.store.db import session_scope
from ebr.store.users import UserRow

__all__ = [
    "audit_act",
    "change_roles",
    "disable_user",
    "enable_user",
    "reset_password",
    "unlock",
    "unlock_from_shell",
]


def change_roles(
    engine: Engine,
    *,
    signatory: Signatory,
    user_id: str,
    roles: Sequence[Role],
    reason: str,
    now: datetime,
) -> UserRow:
    """Give an account other roles (never ``admin`` with a GMP role); every session of the
    person ends at once, so what they may do is decided again at their next sign-in."""
    held = check_roles(roles)
    return _act(
        engine,
        signatory,
        user_id,
        AccountChange(event=AccountEvent.ROLES_CHANGED, roles=held),
        reason,
        now,
        "user_roles_changed",
        lambda session: store_accounts.set_roles(session=session, user_id=user_id, roles=held),
        before=lambda user: {"roles": list(user.roles)},
        after={"roles": [r.value for r in held]},
        ends=EndReason.ROLES_CHANGED,
    )


def disable_user(
    engine: Engine, *, signatory: Signatory, user_id: str, reason: str, now: datetime
) -> UserRow:
    """Disable an account (never delete it: its signatures must keep naming a person); every
    session of the person ends at once."""
    return _act(
        engine,
        signatory,
        user_id,
        AccountChange(event=AccountEvent.DISABLED),
        reason,
        now,
        "user_disabled",
        lambda session: store_accounts.set_active(session=session, user_id=user_id, active=False),
        before=lambda _: {"active": True},
        after={"active": False},
        ends=EndReason.DISABLED,
    )


def enable_user(
    engine: Engine, *, signatory: Signatory, user_id: str, reason: str, now: datetime
) -> UserRow:
    """Enable a disabled account again."""
    return _act(
        engine,
        signatory,
        user_id,
        AccountChange(event=AccountEvent.ENABLED),
        reason,
        now,
        "user_enabled",
        lambda session: store_accounts.set_active(session=session, user_id=user_id, active=True),
        before=lambda _: {"active": False},
        after={"active": True},
    )


def unlock(
    engine: Engine, *, signatory: Signatory, user_id: str, reason: str, now: datetime
) -> UserRow:
    """Lift a lockout; the failure count restarts."""
    return _act(
        engine,
        signatory,
        user_id,
        AccountChange(event=AccountEvent.UNLOCKED),
        reason,
        now,
        "user_unlocked",
        lambda session: store_accounts.unlock(session=session, user_id=user_id, at=now),
    )


def reset_password(
    engine: Engine,
    *,
    signatory: Signatory,
    user_id: str,
    initial_password: str,
    reason: str,
    now: datetime,
    controls: Controls,
) -> UserRow:
    """Give the account a password the administrator chose (the person forgot theirs): it must
    be changed at the next sign-in, and it opens no signing key (the person's next password
    makes a new one, ``ebr.accounts.keys``). Every session of the person ends at once."""
    check_password(user_id, initial_password, controls=controls, field="initial_password")
    password_hash = hash_password(initial_password)
    return _act(
        engine,
        signatory,
        user_id,
        AccountChange(event=AccountEvent.PASSWORD_RESET),
        reason,
        now,
        "password_reset",
        lambda session: store_accounts.set_password(
            session=session, user_id=user_id, password_hash=password_hash, at=now, must_change=True
        ),
        ends=EndReason.PASSWORD_RESET,
    )


def unlock_from_shell(
    engine: Engine, *, user_id: str, operator: str, station: str, reason: str, now: datetime
) -> UserRow:
    """Break glass: lift a lockout from the server's shell when no administrator can sign (say,
    the last one is locked). Not a signature: audited as ``user_unlocked`` by ``operator``
    (``cli:<OS user>``) at ``station``, with the reason, which ``ebr verify`` accepts as an
    unlock without a record."""
    if not reason.strip():
        raise ReasonRequired("unlocking an account needs a reason", {"field": "reason"})
    with session_scope(engine) as session:
        user = store_accounts.unlock(session=session, user_id=user_id, at=now)
        audit(
            session,
            event_key=f"user/{user_id}/user_unlocked/{now.isoformat()}",
            at=now,
            actor=operator,
            station=station,
            action="user_unlocked",
            entity="user",
            entity_id=user_id,
            reason=reason,
        )
        return user


def _act(
    engine: Engine,
    signatory: Signatory,
    user_id: str,
    change: AccountChange,
    reason: str,
    now: datetime,
    action: str,
    apply: Callable[[Session], UserRow],
    *,
    before: Callable[[UserRow], Any] | None = None,
    after: dict[str, Any] | None = None,
    ends: EndReason | None = None,
) -> UserRow:
    """An administrator's signed act on an account and what it changes, in one transaction: the
    record and its audit entry, the row, the act's own audit entry (``action``: old and new
    value, the reason, the record's id) and, with ``ends``, the end of every session."""
    with session_scope(engine) as session:
        payload = sign_event(
            session, signatory=signatory, user_id=user_id, change=change, reason=reason, now=now
        )
        old = before(store_accounts.locked_row(session, user_id)) if before else None
        user = apply(session)
        audit_act(
            session,
            payload.record_id(),
            signatory,
            user_id,
            action,
            now,
            reason,
            old_value=old,
            new_value=after or {},
        )
        if ends is not None:
            end_sessions(
                session,
                user_id=user_id,
                reason=ends,
                actor=signatory.user_id,
                station=signatory.station,
                now=now,
            )
        return user


def audit_act(
    session: Session,
    record_id: str,
    signatory: Signatory,
    user_id: str,
    action: str,
    now: datetime,
    reason: str,
    *,
    old_value: Any = None,
    new_value: dict[str, Any],
) -> None:
    audit(
        session,
        event_key=f"{record_id}/{action}",
        at=now,
        actor=signatory.user_id,
        station=signatory.station,
        action=action,
        entity="user",
        entity_id=user_id,
        old_value=old_value,
        new_value={**new_value, "record_id": record_id},
        reason=reason.strip(),
    )
