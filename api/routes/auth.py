"""Signing in (OAuth2 password flow, throttled, with lockout), signing out, who am I, and
changing one's own password.

Each sign-in opens a server-side session that its token names (``ebr.accounts.sessions``);
signing out, and a password change, end every session of the person at once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import ContextDep, CurrentUser, source_of, station_of
from api.schemas import PasswordChange, TokenResponse, UserPublic
from api.tokens import issue
from ebr.accounts import (
    Controls,
    change_password,
    needs_new_password,
    open_session,
    sign_in,
    sign_out,
)
from ebr.store.users import UserRow, roles_of

router = APIRouter(prefix="/api", tags=["auth"])


def user_public(user: UserRow) -> UserPublic:
    return UserPublic(
        user_id=user.user_id,
        full_name=user.full_name,
        roles=list(roles_of(user)),
        active=user.active,
        created_by=user.created_by,
        identity_confirmed_by=user.identity_confirmed_by,
    )


@router.post("/auth/token", response_model=TokenResponse)
async def login(
    request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()], context: ContextDep
) -> TokenResponse:
    """A bearer token naming a new session. Failures are audited, delay the next attempt for the
    account and the address (429 with ``Retry-After`` meanwhile), and lock the account after the
    configured number (423, for the cooling period)."""
    now = context.now()
    controls = Controls.of(context.settings)
    station = station_of(request)
    user = await run_in_threadpool(
        sign_in,
        context.engine,
        user_id=form.username,
        password=form.password,
        station=station,
        now=now,
        controls=controls,
        source=source_of(request),
    )
    session_id = await run_in_threadpool(
        open_session, context.engine, user_id=user.user_id, station=station, now=now
    )
    minutes = context.settings.token_minutes
    token = issue(
        secret=context.token_secret, user_id=user.user_id, session_id=session_id, minutes=minutes
    )
    return TokenResponse(
        access_token=token,
        expires_in=minutes * 60,
        user=user_public(user),
        password_change_required=needs_new_password(user, now=now, controls=controls),
    )


@router.post("/auth/logout", status_code=204)
async def logout(request: Request, user: CurrentUser, context: ContextDep) -> None:
    """Sign out: every session of the person ends (this token, others, and page cookies)."""
    await run_in_threadpool(
        sign_out,
        context.engine,
        user_id=user.user_id,
        station=station_of(request),
        now=context.now(),
    )


@router.get("/me", response_model=UserPublic)
def me(user: CurrentUser) -> UserPublic:
    return user_public(user)


@router.post("/me/password", status_code=204)
async def new_password(
    request: Request, body: PasswordChange, user: CurrentUser, context: ContextDep
) -> None:
    """Set one's own password; this also makes (or re-wraps) one's personal signing key, and
    ends every session of the person, this token's included: sign in again with the new one."""
    await run_in_threadpool(
        change_password,
        context.engine,
        context.trust.ca,
        user_id=user.user_id,
        old=body.old_password,
        new=body.new_password,
        station=station_of(request),
        now=context.now(),
        controls=Controls.of(context.settings),
    )
