"""The session a request's token names (bearer header or page cookie), checked on every request.

``find`` reads (on the lock-free reader, cheap enough to run on the event loop) the session and
its user and refuses a token that is not valid, a session that has ended (``session_ended``,
saying why), or another person's; ``settle`` does the rare write a request needs: ending a
session found idle longer than ``EBR_IDLE_MINUTES`` (then refused), or moving its last-seen time
when it is older than ``Controls.touch_every``. The API runs ``settle`` off the event loop; the
pages, whose dependencies already run in a thread, call it directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from api.context import ApiContext
from api.refusals import NotAuthenticated
from api.tokens import claims_of
from ebr.accounts import Controls
from ebr.accounts.errors import SessionEnded
from ebr.accounts.sessions import EndReason, Verdict, end_idle, judge, touch
from ebr.store.db import session_scope
from ebr.store.sessions import SessionRow, get_session
from ebr.store.users import UserRow, get_user

__all__ = ["Found", "find", "settle"]

NO_TOKEN = "sign in first: the bearer token is missing, expired or invalid"

# When this process last wrote each session's last-seen time (dict operations are atomic, and a
# lost race costs one extra write, so no lock).
_TOUCHED: dict[str, datetime] = {}
_TOUCHED_SIZE = 65536


@dataclass(frozen=True)
class Found:
    """A request's live session, its person, and what the request must still do about it."""

    session: SessionRow
    user: UserRow
    verdict: Verdict
    token: str


def find(context: ApiContext, token: str | None, *, now: datetime) -> Found:
    """The live session ``token`` names and its user (the user may be disabled or locked: the
    caller decides); raises ``not_authenticated`` for no valid token or an unknown user, and
    ``session_ended`` for a session that is over or not the token's user's."""
    claims = claims_of(secret=context.token_secret, token=token) if token else None
    if token is None or claims is None:
        raise NotAuthenticated(NO_TOKEN)
    with session_scope(context.reads) as session:
        row = get_session(session=session, session_id=claims.session_id)
        user = get_user(session=session, user_id=claims.user_id)
    if user is None:
        raise NotAuthenticated(NO_TOKEN)
    verdict = judge(row, user_id=claims.user_id, now=now, controls=Controls.of(context.settings))
    if row is None or verdict is Verdict.ENDED:
        reason = row.end_reason if row is not None and row.user_id == user.user_id else None
        raise _ended(reason, idle_minutes=context.settings.idle_minutes)
    return Found(session=row, user=user, verdict=verdict, token=token)


def settle(context: ApiContext, found: Found, *, station: str, now: datetime) -> None:
    """The write the request's session needs, if any: end it when idle (and refuse), else note
    the request when the last-seen time is stale. Of many requests of one session that find it
    stale at once (a page and its API calls), this process writes for the first only."""
    if found.verdict is Verdict.IDLE:
        end_idle(context.engine, found.session, station=station, now=now)
        raise _ended(EndReason.IDLE.value, idle_minutes=context.settings.idle_minutes)
    if found.verdict is Verdict.STALE:
        session_id = found.session.session_id
        touched = _TOUCHED.get(session_id)
        if touched is not None and now - touched < Controls.of(context.settings).touch_every:
            return
        if len(_TOUCHED) > _TOUCHED_SIZE:
            _TOUCHED.clear()  # a memo only: forgetting costs one write per session
        _TOUCHED[session_id] = now
        touch(context.engine, session_id=session_id, now=now)


def _ended(reason: str | None, *, idle_minutes: float | None = None) -> SessionEnded:
    if reason == EndReason.IDLE.value:
        after = f" after {idle_minutes:g} minutes without activity" if idle_minutes else ""
        message = f"you were signed out{after}: sign in again"
    elif reason is None:
        message = "this session is not known here: sign in again"
    else:
        message = f"this session has ended ({reason}): sign in again"
    return SessionEnded(message, {"reason": reason})
