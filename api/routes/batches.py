"""Batches: start one, list them, read one and its signed records."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.batch_views import batch_detail, batch_summary, records_of_batch
from api.deps import ActorDep, CommandsDep, CurrentUser, ReadSessionDep, RequireRole
from api.schemas import BatchCreate, BatchDetail, BatchSummary, RecordView
from ebr.domain.batch import BatchStatus
from ebr.domain.roles import Role
from ebr.store.batches import list_batches
from ebr.store.db import session_scope
from ebr.store.users import UserRow

router = APIRouter(prefix="/api/batches", tags=["batches"])

# A supervisor starts batches; an administrator holds no GMP role and starts none.
BatchStarter = Annotated[UserRow, Depends(RequireRole(Role.SUPERVISOR))]


@router.post("", response_model=BatchDetail, status_code=201)
async def start(
    body: BatchCreate, _: BatchStarter, actor: ActorDep, commands: CommandsDep
) -> BatchDetail:
    batch_id = await commands.start_batch(
        recipe_code=body.recipe_code,
        recipe_version=body.recipe_version,
        batch_number=body.batch_number,
        planned=body.planned_quantity,
        actor=actor,
    )
    with session_scope(commands.engine) as session:
        return batch_detail(session=session, batch_id=batch_id)


@router.get("", response_model=list[BatchSummary])
def batches(
    _: CurrentUser,
    session: ReadSessionDep,
    status: BatchStatus | None = None,
    recipe_code: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> list[BatchSummary]:
    rows = list_batches(
        session=session, status=status, recipe_code=recipe_code, limit=limit, offset=offset
    )
    return [batch_summary(row) for row in rows]


@router.get("/{batch_id}", response_model=BatchDetail)
def batch(batch_id: str, _: CurrentUser, session: ReadSessionDep) -> BatchDetail:
    return batch_detail(session=session, batch_id=batch_id)


@router.get("/{batch_id}/records", response_model=list[RecordView])
def records(batch_id: str, _: CurrentUser, session: ReadSessionDep) -> list[RecordView]:
    """Every record of the batch in order, with its manifestation and signature."""
    return records_of_batch(session=session, batch_id=batch_id)
