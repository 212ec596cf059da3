"""The sessions table: each sign-in opens one; every bearer token and page cookie names it.

A session is live until it is ended (logout, password change, account disabled, roles changed,
lockout, idle lapse: ``ended_at`` and ``end_reason``) or its token expires. Rows are kept when
ended, so who was signed in when stays answerable. Deciding when to end a session, and auditing
it, is ``ebr.accounts.sessions``'s job.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, update
from sqlmodel import Field, Session, SQLModel, col

from ebr.store.columns import UTCDateTime, as_utc

__all__ = ["SessionRow", "add_session", "end_user_sessions", "get_session", "touch_session"]


class SessionRow(SQLModel, table=True):
    """One signed-in session of one person, from one station."""

    __tablename__ = "sessions"

    session_id: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(
        sa_column_args=[ForeignKey("users.user_id", name="fk_sessions_user_id")], index=True
    )
    station: str
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_seen_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    end_reason: str | None = None


def add_session(
    *, session: Session, session_id: str, user_id: str, station: str, at: datetime
) -> SessionRow:
    moment = as_utc(at)
    row = SessionRow(
        session_id=session_id,
        user_id=user_id,
        station=station,
        created_at=moment,
        last_seen_at=moment,
    )
    session.add(row)
    session.flush()
    return row


def get_session(*, session: Session, session_id: str) -> SessionRow | None:
    return session.get(SessionRow, session_id)


def touch_session(*, session: Session, session_id: str, at: datetime) -> bool:
    """Note a request at ``at`` on a live session; an older time (a request that was slower than
    a later one) does not move it back. True when the row changed."""
    moment = as_utc(at)
    result = session.execute(
        update(SessionRow)
        .where(col(SessionRow.session_id) == session_id)
        .where(col(SessionRow.ended_at).is_(None))
        .where(col(SessionRow.last_seen_at) < moment)
        .values(last_seen_at=moment)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]  # CursorResult has it


def end_user_sessions(
    *, session: Session, user_id: str, at: datetime, reason: str, session_id: str | None = None
) -> int:
    """End every live session of the user (or only ``session_id``) at ``at`` for ``reason``;
    return how many were live."""
    query = (
        update(SessionRow)
        .where(col(SessionRow.user_id) == user_id)
        .where(col(SessionRow.ended_at).is_(None))
        .values(ended_at=as_utc(at), end_reason=reason)
    )
    if session_id is not None:
        query = query.where(col(SessionRow.session_id) == session_id)
    return int(session.execute(query).rowcount)  # type: ignore[attr-defined]  # as above
