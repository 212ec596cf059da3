"""Signing in (OAuth2 password flow, with lockout), who am I, and changing one's own password."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import ContextDep, CurrentUser, station_of
from api.schemas import PasswordChange, TokenResponse, UserPublic
from api.tokens import issue
from ebr.accounts import Controls, change_password, needs_new_password, sign_in
from ebr.store.users import UserRow, roles_of

router = APIRouter(prefix="/api", tags=["auth"])


def user_public(user: UserRow) -> UserPublic:
    return UserPublic(
        user_id=user.user_id,
        full_name=user.full_name,
        roles=list(roles_of(user)),
        active=user.active,
    )


@router.post("/auth/token", response_model=TokenResponse)
async def login(
    request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()], context: ContextDep
) -> TokenResponse:
    """A bearer token; failures are audited and lock the account after the configured number."""
    now = datetime.now(UTC)
    controls = Controls.of(context.settings)
    user = await run_in_threadpool(
        sign_in,
        context.engine,
        user_id=form.username,
        password=form.password,
        station=station_of(request),
        now=now,
        controls=controls,
    )
    minutes = context.settings.token_minutes
    token = issue(secret=context.token_secret, user_id=user.user_id, minutes=minutes)
    return TokenResponse(
        access_token=token,
        expires_in=minutes * 60,
        user=user_public(user),
        password_change_required=needs_new_password(user, now=now, controls=controls),
    )


@router.get("/me", response_model=UserPublic)
def me(user: CurrentUser) -> UserPublic:
    return user_public(user)


@router.post("/me/password", status_code=204)
async def new_password(
    request: Request, body: PasswordChange, user: CurrentUser, context: ContextDep
) -> None:
    """Set one's own password; this also makes (or re-wraps) one's personal signing key."""
    await run_in_threadpool(
        change_password,
        context.engine,
        context.trust.ca,
        user_id=user.user_id,
        old=body.old_password,
        new=body.new_password,
        station=station_of(request),
        now=datetime.now(UTC),
        controls=Controls.of(context.settings),
    )
