"""User administration: accounts are created, unlocked, disabled and given other roles here with
reasons, never deleted; and a user rotates their own signing key."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from api.context import ApiContext
from api.deps import ContextDep, CurrentUser, ReadSessionDep, RequireRole, station_of
from api.routes.auth import user_public
from api.schemas import Unlock, UserPublic
from ebr.accounts import (
    Controls,
    change_roles,
    create_user,
    disable_user,
    rotate_key,
    unlock,
)
from ebr.domain.roles import Role
from ebr.store.users import UserRow, list_users

router = APIRouter(prefix="/api", tags=["users"])

Admin = Annotated[UserRow, Depends(RequireRole(Role.ADMIN))]


class UserCreate(BaseModel):
    user_id: str = Field(pattern=r"^[a-z][a-z0-9._-]{1,31}$")
    full_name: str = Field(min_length=1, max_length=200)
    roles: list[Role] = Field(min_length=1)
    initial_password: str = Field(min_length=8, repr=False)


class Reason(BaseModel):
    reason: str = Field(min_length=1, max_length=4000)


class RolesChange(BaseModel):
    roles: list[Role] = Field(min_length=1)
    reason: str = Field(min_length=1, max_length=4000)


class KeyRotation(BaseModel):
    password: str = Field(min_length=1, repr=False)


class KeyPublic(BaseModel):
    key_id: str
    certificate_pem: str
    valid_from: datetime


@router.get("/users", response_model=list[UserPublic])
def users(_: Admin, session: ReadSessionDep) -> list[UserPublic]:
    return [user_public(u) for u in list_users(session=session)]


@router.post("/users", response_model=UserPublic, status_code=201)
async def add(body: UserCreate, request: Request, admin: Admin, context: ContextDep) -> UserPublic:
    """Create an account; its owner must set their own password at first sign-in. The initial
    password meets the password rules (422 ``password_rejected`` otherwise)."""
    user = await run_in_threadpool(
        create_user,
        context.engine,
        user_id=body.user_id,
        full_name=body.full_name,
        roles=body.roles,
        initial_password=body.initial_password,
        admin=admin.user_id,
        station=station_of(request),
        now=context.now(),
        controls=Controls.of(context.settings),
    )
    return user_public(user)


@router.post("/users/{user_id}/unlock", response_model=UserPublic)
async def unlock_user(
    user_id: str, body: Unlock, request: Request, admin: Admin, context: ContextDep
) -> UserPublic:
    """Lift a lockout; the reason goes into the audit trail."""
    return await _administer(unlock, user_id, body.reason, request, admin, context)


@router.post("/users/{user_id}/disable", response_model=UserPublic)
async def disable(
    user_id: str, body: Reason, request: Request, admin: Admin, context: ContextDep
) -> UserPublic:
    """Disable an account (never deleted); the reason goes into the audit trail, and every
    session of the person ends at once."""
    return await _administer(disable_user, user_id, body.reason, request, admin, context)


@router.put("/users/{user_id}/roles", response_model=UserPublic)
async def roles(
    user_id: str, body: RolesChange, request: Request, admin: Admin, context: ContextDep
) -> UserPublic:
    """Give an account other roles, with a reason (audited); every session of the person ends
    at once."""
    user = await run_in_threadpool(
        change_roles,
        context.engine,
        user_id=user_id,
        roles=body.roles,
        admin=admin.user_id,
        reason=body.reason,
        station=station_of(request),
        now=context.now(),
    )
    return user_public(user)


async def _administer(
    action: Callable[..., UserRow],
    user_id: str,
    reason: str,
    request: Request,
    admin: UserRow,
    context: ApiContext,
) -> UserPublic:
    """An administrator's action on an account, with its reason, run off the event loop."""
    user = await run_in_threadpool(
        action,
        context.engine,
        user_id=user_id,
        admin=admin.user_id,
        reason=reason,
        station=station_of(request),
        now=context.now(),
    )
    return user_public(user)


@router.post("/me/key/rotate", response_model=KeyPublic)
async def rotate(
    body: KeyRotation, request: Request, user: CurrentUser, context: ContextDep
) -> KeyPublic:
    """A new signing key and certificate; the old ones are kept for verifying old records."""
    row = await run_in_threadpool(
        rotate_key,
        context.engine,
        context.trust.ca,
        user_id=user.user_id,
        password=body.password,
        station=station_of(request),
        now=context.now(),
        controls=Controls.of(context.settings),
    )
    return KeyPublic(
        key_id=row.key_id, certificate_pem=row.certificate_pem, valid_from=row.valid_from
    )
