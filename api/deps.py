"""FastAPI dependencies as ``Annotated`` aliases: the session, the commands, the user."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session

from api.commands import Commands
from api.context import ApiContext
from api.deviation_views import DeviationPath
from api.refusals import NotAuthenticated
from api.sessions import find, settle
from ebr.accounts import Controls, needs_new_password
from ebr.accounts.errors import PasswordChangeRequired
from ebr.accounts.sessions import Verdict
from ebr.accounts.throttle import is_locked, locked_refusal
from ebr.audit import audit
from ebr.domain.batch import Actor
from ebr.domain.refusals import RoleNotAllowed
from ebr.domain.roles import Role
from ebr.store.db import session_scope
from ebr.store.users import UserRow, roles_of

ZONED = "a time with its zone, for instance 2026-11-30T00:00:00Z or 2026-11-30T01:00:00+01:00"
"""How a query's time is described: a time without a zone is refused (422), never guessed."""

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


def get_context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context


ContextDep = Annotated[ApiContext, Depends(get_context)]


def get_session(context: ContextDep) -> Iterator[Session]:
    """A session that may write: only for master data (recipes, users), never batch state."""
    with session_scope(context.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_read_session(context: ContextDep) -> Iterator[Session]:
    with session_scope(context.reads) as session:
        yield session


ReadSessionDep = Annotated[Session, Depends(get_read_session)]


def get_commands(context: ContextDep) -> Commands:
    """The one way routes and pages change a batch or a deviation (``api.commands``)."""
    return Commands.of(context)


CommandsDep = Annotated[Commands, Depends(get_commands)]

# The deviation a route's path names: ``batch_id`` and ``deviation_id``, read from the path.
DeviationAt = Annotated[DeviationPath, Depends()]


# What a user whose password must be changed may still reach.
_PASSWORD_CHANGE_PATHS = frozenset({"/api/me", "/api/me/password", "/api/auth/logout"})


async def get_current_user(
    request: Request, context: ContextDep, token: Annotated[str | None, Depends(oauth2)]
) -> UserRow:
    """The active user whose live session a valid bearer token names; 401 otherwise (the
    session and the account are re-read, so a session ended by logout, a password change, a
    disabled account or a role change, or one idle too long, is out at once).

    The lookup is a short read on the lock-free reader, done inline: it cannot stall the event
    loop behind a writer, and holds nothing that a workflow's activities need meanwhile. The rare
    write (an idle session ended, a last-seen time moved) runs in a thread.
    """
    now = context.now()
    found = find(context, token, now=now)
    if found.verdict is not Verdict.LIVE:
        await run_in_threadpool(settle, context, found, station=station_of(request), now=now)
    user = found.user
    if not user.active:
        raise NotAuthenticated("sign in first: the bearer token is missing, expired or invalid")
    if is_locked(user, now=now):
        with session_scope(context.engine) as session:
            audit(
                session,
                event_key=f"access_refused/{user.user_id}/{now.isoformat()}",
                at=now,
                actor=user.user_id,
                station=station_of(request),
                action="access_refused",
                entity="user",
                entity_id=user.user_id,
                reason="account locked",
            )
        raise locked_refusal(user, now=now)
    if request.url.path not in _PASSWORD_CHANGE_PATHS and needs_new_password(
        user, now=now, controls=Controls.of(context.settings)
    ):
        raise PasswordChangeRequired(
            "set a new password first (POST /api/me/password): it was set by an administrator "
            "or has expired"
        )
    return user


CurrentUser = Annotated[UserRow, Depends(get_current_user)]


def RequireRole(*roles: Role) -> Callable[[UserRow], Awaitable[UserRow]]:  # noqa: N802 (reads as a type)
    """A dependency that admits only users holding one of ``roles``."""

    async def check(user: CurrentUser) -> UserRow:
        if not set(roles) & set(roles_of(user)):
            names = ", ".join(r.value for r in roles)
            raise RoleNotAllowed(
                f"this needs one of the roles: {names}",
                {"required_roles": [r.value for r in roles]},
            )
        return user

    return check


def station_of(request: Request) -> str:
    """The client station (21 CFR 11.10(h)): its declared name, else its network address."""
    declared = request.headers.get("x-ebr-station", "").strip()
    host = request.client.host if request.client else "unknown"
    return f"{declared[:64]} ({host})" if declared else host


def source_of(request: Request) -> str:
    """The network address a sign-in comes from, as throttled (``ebr.accounts.throttle``): the
    peer as the server sees it (behind a proxy, configure the server to take the client's)."""
    return request.client.host if request.client else "unknown"


async def get_actor(request: Request, user: CurrentUser) -> Actor:
    return Actor(
        user_id=user.user_id,
        full_name=user.full_name,
        roles=roles_of(user),
        station=station_of(request),
    )


ActorDep = Annotated[Actor, Depends(get_actor)]
