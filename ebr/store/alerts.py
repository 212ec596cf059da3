"""The alerts table: what administrators and QA must be told of at once (an account locked).

Alerts are appended and listed, never changed; raising one and auditing it is
``ebr.accounts.alerts``'s job.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, Session, SQLModel, col, func, select

from ebr.store.columns import UTCDateTime, as_utc

__all__ = ["AlertRow", "add_alert", "count_alerts", "list_alerts"]


class AlertRow(SQLModel, table=True):
    """One alert: its kind, the account it is about, when, what happened in words and data."""

    __tablename__ = "alerts"

    alert_id: int | None = Field(default=None, primary_key=True)
    kind: str
    user_id: str = Field(index=True)
    raised_at: datetime = Field(sa_type=UTCDateTime, index=True)
    message: str
    detail: Any = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))


def add_alert(
    *, session: Session, kind: str, user_id: str, at: datetime, message: str, detail: Any = None
) -> AlertRow:
    row = AlertRow(kind=kind, user_id=user_id, raised_at=as_utc(at), message=message, detail=detail)
    session.add(row)
    session.flush()
    return row


def list_alerts(
    *, session: Session, since: datetime | None = None, limit: int = 100
) -> list[AlertRow]:
    """Alerts newest first, optionally only those raised at or after ``since``."""
    query = select(AlertRow)
    if since is not None:
        query = query.where(col(AlertRow.raised_at) >= as_utc(since))
    query = query.order_by(col(AlertRow.raised_at).desc(), col(AlertRow.alert_id).desc())
    return list(session.exec(query.limit(limit)).all())


def count_alerts(*, session: Session, since: datetime) -> int:
    """How many alerts were raised at or after ``since``."""
    query = select(func.count()).select_from(AlertRow)
    query = query.where(col(AlertRow.raised_at) >= as_utc(since))
    return int(session.exec(query).one())
