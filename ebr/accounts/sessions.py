"""Sessions that end: every token and page cookie names a server-side session, checked on every
request, so signing out, a password change, disabling the account, a role change or a lockout
ends every session of that person at once, and a session idle for ``Controls.idle`` ends too.

Why server-side: a signed token alone stays valid until it expires (8 hours), whatever happened
to its owner since; and the page cookie holds such a token, so it could be replayed as an API
bearer token after logout. Now both name one row, and once it is ended neither works.

Each request reads the row (``judge``); it is written only when it must change: ended when idle,
or its last-seen time moved when that time is older than ``Controls.touch_every`` (at most a
minute), so a busy session costs one write a minute, not one per request.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Engine
from sqlmodel import Session

from ebr.accounts.controls import Controls
from ebr.audit import audit
from ebr.store import sessions as store_sessions
from ebr.store.db import session_scope
from ebr.store.sessions import SessionRow

__all__ = [
    "EndReason",
    "Verdict",
    "end_idle",
    "end_sessions",
    "judge",
    "open_session",
    "sign_out",
    "touch",
]


class EndReason(StrEnum):
    """Why a session ended; the words the refusal and the audit trail use."""

    LOGOUT = "signed out"
    PASSWORD_CHANGED = "password changed"
    PASSWORD_RESET = "password reset by an administrator"
    DISABLED = "account disabled"
    ROLES_CHANGED = "roles changed"
    LOCKED = "account locked"
    IDLE = "idle"


class Verdict(StrEnum):
    """What a request finds of its session."""

    LIVE = "live"
    STALE = "stale"  # live, and its last-seen time is to be written again
    IDLE = "idle"  # idle too long: to be ended now
    ENDED = "ended"  # ended already, unknown, or another person's


def open_session(engine: Engine, *, user_id: str, station: str, now: datetime) -> str:
    """A new session for a user who just signed in; returns its id (256 random bits) for the
    token. The sign-in itself is audited by ``sign_in``."""
    session_id = secrets.token_urlsafe(32)
    with session_scope(engine) as session:
        store_sessions.add_session(
            session=session, session_id=session_id, user_id=user_id, station=station, at=now
        )
    return session_id


def end_sessions(
    session: Session,
    *,
    user_id: str,
    reason: EndReason,
    actor: str,
    station: str,
    now: datetime,
    session_id: str | None = None,
) -> int:
    """End every live session of ``user_id`` (or only ``session_id``) in the caller's
    transaction; audited (``sessions_ended``) when there was one. Returns how many ended."""
    ended = store_sessions.end_user_sessions(
        session=session, user_id=user_id, at=now, reason=reason.value, session_id=session_id
    )
    if ended:
        audit(
            session,
            event_key=f"sessions/{user_id}/ended/{reason.name.lower()}/{now.isoformat()}",
            at=now,
            actor=actor,
            station=station,
            action="sessions_ended",
            entity="user",
            entity_id=user_id,
            new_value={"sessions": ended},
            reason=reason.value,
        )
    return ended


def sign_out(engine: Engine, *, user_id: str, station: str, now: datetime) -> int:
    """Signing out ends every session of the person (pages and API, every station)."""
    with session_scope(engine) as session:
        return end_sessions(
            session,
            user_id=user_id,
            reason=EndReason.LOGOUT,
            actor=user_id,
            station=station,
            now=now,
        )


def judge(row: SessionRow | None, *, user_id: str, now: datetime, controls: Controls) -> Verdict:
    """The verdict on a request's session ``row`` for a token naming ``user_id``, at ``now``."""
    if row is None or row.user_id != user_id or row.ended_at is not None:
        return Verdict.ENDED
    quiet = now - row.last_seen_at
    if quiet > controls.idle:
        return Verdict.IDLE
    return Verdict.STALE if quiet >= controls.touch_every else Verdict.LIVE


def touch(engine: Engine, *, session_id: str, now: datetime) -> None:
    """Note a request on a live session (one conditional UPDATE)."""
    with session_scope(engine) as session:
        store_sessions.touch_session(session=session, session_id=session_id, at=now)


def end_idle(engine: Engine, row: SessionRow, *, station: str, now: datetime) -> None:
    """End a session found idle too long (audited, by the system, with the person's user id)."""
    with session_scope(engine) as session:
        end_sessions(
            session,
            user_id=row.user_id,
            reason=EndReason.IDLE,
            actor="system",
            station=station,
            now=now,
            session_id=row.session_id,
        )
