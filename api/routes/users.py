"""Accounts: created, their holder's identity confirmed, given other roles, disabled, enabled,
unlocked and their password reset, each a signature with a reason on the account's own chain
(``ebr.accounts``); never deleted. And a user rotates their own signing key."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from api.account_schemas import (
    AccountAct,
    IdentityConfirmation,
    PasswordReset,
    RolesChange,
    UserCreate,
)
from api.accounts import act_on_account
from api.context import ApiContext
from api.deps import ContextDep, CurrentUser, ReadSessionDep, RequireRole, station_of
from api.routes.auth import user_public
from api.schemas import UserPublic
from ebr.accounts import Controls, rotate_key
from ebr.domain.roles import Role
from ebr.store.users import UserRow, list_users

router = APIRouter(prefix="/api", tags=["users"])

Admin = Annotated[UserRow, Depends(RequireRole(Role.ADMIN))]
# Who reads the accounts: administrators, and QA and supervisors, who confirm identities.
AccountReader = Annotated[UserRow, Depends(RequireRole(Role.ADMIN, Role.QA, Role.SUPERVISOR))]


class KeyRotation(BaseModel):
    password: str = Field(min_length=1, repr=False)


class KeyPublic(BaseModel):
    key_id: str
    certificate_pem: str
    valid_from: datetime


@router.get("/users", response_model=list[UserPublic])
def users(_: AccountReader, session: ReadSessionDep) -> list[UserPublic]:
    """Every account, disabled ones included, with whose signature confirmed its holder."""
    return [user_public(u) for u in list_users(session=session)]


@router.post("/users", response_model=UserPublic, status_code=201)
async def add(body: UserCreate, request: Request, admin: Admin, context: ContextDep) -> UserPublic:
    """Create an account, signed by the administrator with a reason; its owner must set their
    own password at first sign-in (the initial one meets the password rules: 422
    ``password_rejected``), and it signs nothing until QA or a supervisor confirms its holder's
    identity. An administrator holds no GMP role (422 ``roles_not_combinable``)."""
    return await _act("create", body.user_id, body, request, admin, context)


@router.post("/users/{user_id}/identity", response_model=UserPublic)
async def confirm(
    user_id: str,
    body: IdentityConfirmation,
    request: Request,
    user: CurrentUser,
    context: ContextDep,
) -> UserPublic:
    """QA or a supervisor confirms, signed (meaning ``verified``), that the account's holder is
    the person it names, saying how in the reason; from then on the account may sign. Refused
    for oneself, for the administrator who created the account, and for anyone else but a
    confirmed QA or supervisor (the site's founder is the one exception)."""
    return await _act("identity", user_id, body, request, user, context)


@router.put("/users/{user_id}/roles", response_model=UserPublic)
async def roles(
    user_id: str, body: RolesChange, request: Request, admin: Admin, context: ContextDep
) -> UserPublic:
    """Give an account other roles, signed with a reason; every session of the person ends at
    once."""
    return await _act("roles", user_id, body, request, admin, context)


@router.post("/users/{user_id}/disable", response_model=UserPublic)
async def disable(
    user_id: str, body: AccountAct, request: Request, admin: Admin, context: ContextDep
) -> UserPublic:
    """Disable an account (never deleted), signed with a reason; every session of the person
    ends at once."""
    return await _act("disable", user_id, body, request, admin, context)


@router.post("/users/{user_id}/enable", response_model=UserPublic)
async def enable(
    user_id: str, body: AccountAct, request: Request, admin: Admin, context: ContextDep
) -> UserPublic:
    """Enable a disabled account again, signed with a reason."""
    return await _act("enable", user_id, body, request, admin, context)


@router.post("/users/{user_id}/unlock", response_model=UserPublic)
async def unlock_user(
    user_id: str, body: AccountAct, request: Request, admin: Admin, context: ContextDep
) -> UserPublic:
    """Lift a lockout, signed with a reason."""
    return await _act("unlock", user_id, body, request, admin, context)


@router.post("/users/{user_id}/password", response_model=UserPublic)
async def reset(
    user_id: str, body: PasswordReset, request: Request, admin: Admin, context: ContextDep
) -> UserPublic:
    """Give the account a password the administrator chose, signed with a reason: it must be
    changed at the next sign-in and opens no signing key; every session of the person ends."""
    return await _act("password", user_id, body, request, admin, context)


async def _act(
    action: str,
    user_id: str,
    body: AccountAct,
    request: Request,
    signer: UserRow,
    context: ApiContext,
) -> UserPublic:
    row = await act_on_account(
        context,
        action=action,
        signer_id=signer.user_id,
        station=station_of(request),
        user_id=user_id,
        body=body,
    )
    return user_public(row)


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
