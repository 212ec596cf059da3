"""User administration: accounts are created and unlocked here, with reasons, never deleted."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool

from api.deps import ContextDep, RequireRole, station_of
from api.routes.auth import user_public
from api.schemas import Unlock, UserPublic
from ebr.accounts import unlock
from ebr.domain.roles import Role
from ebr.store.users import UserRow

router = APIRouter(prefix="/api/users", tags=["users"])

Admin = Annotated[UserRow, Depends(RequireRole(Role.ADMIN))]


@router.post("/{user_id}/unlock", response_model=UserPublic)
async def unlock_user(
    user_id: str, body: Unlock, request: Request, admin: Admin, context: ContextDep
) -> UserPublic:
    """Lift a lockout; the reason goes into the audit trail."""
    user = await run_in_threadpool(
        unlock,
        context.engine,
        user_id=user_id,
        admin=admin.user_id,
        reason=body.reason,
        station=station_of(request),
        now=datetime.now(UTC),
    )
    return user_public(user)
