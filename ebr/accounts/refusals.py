"""Refusing a sign-in or a signature: audited in its own transaction, counted toward lockout."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from ebr.accounts.controls import Controls
from ebr.accounts.errors import AccountLocked, InvalidCredentials, SignatureRefused
from ebr.audit import audit
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
) -> None:
    """Audit the failure in its own transaction (it must outlive the refusal), then raise."""
    with session_scope(engine) as session:
        locked_now = False
        if user is not None and counts:
            before = user.locked_at
            user = store_accounts.record_failure(
                session=session, user_id=user_id, at=now, limit=controls.max_failures
            )
            locked_now = before is None and user.locked_at is not None
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
        if locked_now:
            audit(
                session,
                event_key=f"locked/{user_id}/{now.isoformat()}",
                at=now,
                actor="system",
                station=station,
                action="account_locked",
                entity="user",
                entity_id=user_id,
                reason=f"{controls.max_failures} failed attempts",
            )
    if user is not None and user.locked_at is not None:
        raise AccountLocked(
            "the account is locked after too many failed attempts; an administrator must unlock it"
        )
    if action == "signature_failed":
        raise SignatureRefused(
            "the password is not correct; the signature was not applied", {"field": "password"}
        )
    raise InvalidCredentials("the user id or password is not correct, or the account is disabled")
