"""Refusing a sign-in or a signature: audited in its own transaction, counted toward lockout,
throttled (``ebr.accounts.throttle``); a lockout ends the person's sessions and alerts
administrators and QA (``ebr.accounts.alerts``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from ebr.accounts.alerts import ACCOUNT_LOCKED, raise_alert
from ebr.accounts.controls import Controls
from ebr.accounts.errors import InvalidCredentials, SignatureRefused
from ebr.accounts.sessions import EndReason, end_sessions
from ebr.accounts.throttle import is_locked, locked_refusal, note_failure
from ebr.audit import SYSTEM, audit
from ebr.store import accounts as store_accounts
from ebr.store.db import session_scope
from ebr.store.users import UserRow


def refuse(
    engine: Engine,
    *,
    user: UserRow | None,
    user_id: str,
    station: str,
    now: datetime,
    controls: Controls,
    action: str,
    counts: bool,
    source: str | None = None,
) -> None:
    """Audit the failure in its own transaction (it must outlive the refusal), then raise.

    ``counts``: a wrong password, counted toward the lockout and throttled (for the account
    and, given, the ``source`` address; an unknown user id by its address alone).
    """
    with session_scope(engine) as session:
        locked_now = False
        if user is not None and counts:
            before = user.locked_at
            user = store_accounts.record_failure(
                session=session,
                user_id=user_id,
                at=now,
                limit=controls.max_failures,
                locked_for=controls.lockout,
            )
            locked_now = before is None and user.locked_at is not None
        if counts:
            note_failure(session, user=user, source=source, now=now, controls=controls)
        audit(
            session,
            event_key=f"{action}/{user_id}/{now.isoformat()}",
            at=now,
            actor=user_id,
            station=station,
            action=action,
            entity="user",
            entity_id=user_id,
            new_value={"failed_attempts": user.failed_attempts if user else None},
        )
        if locked_now and user is not None:
            _locked(session, user, station=station, now=now, controls=controls)
    if user is not None and is_locked(user, now=now):
        raise locked_refusal(user, now=now)
    if action == "signature_failed":
        raise SignatureRefused(
            "the password is not correct; the signature was not applied", {"field": "password"}
        )
    raise InvalidCredentials("the user id or password is not correct, or the account is disabled")


def _locked(
    session: Session, user: UserRow, *, station: str, now: datetime, controls: Controls
) -> None:
    """The account was locked just now: audit it, end the person's sessions (whoever is guessing
    may be at their unattended station), and alert administrators and QA."""
    until = user.locked_until
    audit(
        session,
        event_key=f"locked/{user.user_id}/{now.isoformat()}",
        at=now,
        actor=SYSTEM,
        station=station,
        action="account_locked",
        entity="user",
        entity_id=user.user_id,
        new_value={"locked_until": until.isoformat() if until else None},
        reason=f"{controls.max_failures} failed attempts",
    )
    end_sessions(
        session,
        user_id=user.user_id,
        reason=EndReason.LOCKED,
        actor=SYSTEM,
        station=station,
        now=now,
    )
    lasts = (
        f"until {until.strftime('%Y-%m-%d %H:%M UTC')} (or until an administrator unlocks it)"
        if until
        else "until an administrator unlocks it"
    )
    raise_alert(
        session,
        kind=ACCOUNT_LOCKED,
        user_id=user.user_id,
        at=now,
        station=station,
        message=(
            f"Account {user.user_id} ({user.full_name}) was locked after "
            f"{controls.max_failures} failed password attempts, the last from {station}; "
            f"it stays locked {lasts}."
        ),
        detail={
            "failed_attempts": user.failed_attempts,
            "station": station,
            "locked_until": until.isoformat() if until else None,
        },
    )
