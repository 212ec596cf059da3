"""Signing in: OAuth2 password flow giving a bearer token; who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import ContextDep, CurrentUser, ReadSessionDep
from api.errors import ApiError
from api.schemas import TokenResponse, UserPublic
from api.tokens import issue
from ebr.passwords import verify_password
from ebr.store.users import UserRow, get_user, roles_of

router = APIRouter(prefix="/api", tags=["auth"])


def user_public(user: UserRow) -> UserPublic:
    return UserPublic(
        user_id=user.user_id,
        full_name=user.full_name,
        roles=list(roles_of(user)),
        active=user.active,
    )


@router.post("/auth/token", response_model=TokenResponse)
def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    context: ContextDep,
    session: ReadSessionDep,
) -> TokenResponse:
    user = get_user(session=session, user_id=form.username)
    valid = verify_password(user.password_hash if user else None, form.password)
    if user is None or not valid or not user.active:
        raise ApiError(
            401,
            "invalid_credentials",
            "the user id or password is not correct, or the account is disabled",
        )
    minutes = context.settings.token_minutes
    token = issue(secret=context.token_secret, user_id=user.user_id, minutes=minutes)
    return TokenResponse(access_token=token, expires_in=minutes * 60, user=user_public(user))


@router.get("/me", response_model=UserPublic)
def me(user: CurrentUser) -> UserPublic:
    return user_public(user)
