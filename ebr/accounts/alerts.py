"""Alerts for administrators and QA: every lockout is told to them at once, not found later.

Why: a lockout is either a person who forgot their password or someone guessing it; either way
the people responsible for the system must know now (the pages show the list to admin and QA,
``GET /api/alerts`` answers it). Each alert is stored and audited in the transaction that raised
it, so no lockout happens without its alert.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from ebr.audit import SYSTEM, audit
from ebr.domain.roles import Role
from ebr.store.alerts import AlertRow, add_alert

__all__ = ["ACCOUNT_LOCKED", "ALERTED", "raise_alert"]

ACCOUNT_LOCKED = "account_locked"
# Who must be told: the administrators who unlock accounts, and QA who answer for the records.
ALERTED = (Role.ADMIN, Role.QA)


def raise_alert(
    session: Session,
    *,
    kind: str,
    user_id: str,
    at: datetime,
    station: str,
    message: str,
    detail: Any = None,
) -> AlertRow:
    """Store the alert and its audit entry (``alert_raised``) in the caller's transaction."""
    row = add_alert(
        session=session, kind=kind, user_id=user_id, at=at, message=message, detail=detail
    )
    audit(
        session,
        event_key=f"alert/{row.alert_id}/raised",
        at=at,
        actor=SYSTEM,
        station=station,
        action="alert_raised",
        entity="alert",
        entity_id=str(row.alert_id),
        new_value={"kind": kind, "user_id": user_id, "message": message, "detail": detail},
    )
    return row
