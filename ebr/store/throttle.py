"""The throttle_sources table: failed sign-ins per network address, whatever account they named.

Deciding the delays is ``ebr.accounts.throttle``'s job; these functions only keep the count. Each
reads its row locked (PostgreSQL ``FOR UPDATE``; on SQLite every write transaction holds the
database lock), so concurrent failures from one address are all counted.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel

from ebr.store.columns import UTCDateTime, as_utc

__all__ = ["ThrottleSourceRow", "get_source", "record_source_failure", "reserve_source"]


class ThrottleSourceRow(SQLModel, table=True):
    """One network address's recent failed sign-ins, and when it may next try a password."""

    __tablename__ = "throttle_sources"

    address: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    last_failed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    throttled_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


def get_source(*, session: Session, address: str) -> ThrottleSourceRow | None:
    """The address's row, read for update (so one attempt at a time checks and reserves it)."""
    return session.get(
        ThrottleSourceRow, address[:64], with_for_update=True, populate_existing=True
    )


def reserve_source(*, session: Session, address: str, until: datetime) -> ThrottleSourceRow:
    """No further password is tried from ``address`` before ``until`` (an attempt under way)."""
    row = _locked_row(session, address)
    row.throttled_until = as_utc(until)
    return _saved(session, row)


def record_source_failure(
    *, session: Session, address: str, at: datetime, forget_after: timedelta
) -> ThrottleSourceRow:
    """Count a failed sign-in from ``address`` at ``at``; failures older than ``forget_after``
    (since the last one) are forgotten first."""
    moment = as_utc(at)
    row = _locked_row(session, address)
    if row.last_failed_at is not None and moment - row.last_failed_at > forget_after:
        row.failures = 0
    row.failures += 1
    row.last_failed_at = moment
    return _saved(session, row)


def _locked_row(session: Session, address: str) -> ThrottleSourceRow:
    """The address's row read for update, made first if there is none (two processes making it
    at once: the loser's insert is rolled back to its savepoint and it reads the winner's)."""
    key = address[:64]
    row = session.get(ThrottleSourceRow, key, with_for_update=True, populate_existing=True)
    if row is not None:
        return row
    fresh = ThrottleSourceRow(address=key)
    try:
        with session.begin_nested():
            session.add(fresh)
    except IntegrityError:
        if fresh in session:
            session.expunge(fresh)
    row = session.get(ThrottleSourceRow, key, with_for_update=True, populate_existing=True)
    assert row is not None
    return row


def _saved(session: Session, row: ThrottleSourceRow) -> ThrottleSourceRow:
    session.add(row)
    session.flush()
    return row
