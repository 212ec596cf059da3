"""Batches: start one, list them, read one, and complete or verify its steps."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api import batch_commands
from api.batch_views import batch_detail, batch_summary, record_view
from api.deps import ActorDep, ContextDep, CurrentUser, ReadSessionDep, RequireRole, TemporalDep
from api.schemas import (
    BatchCreate,
    BatchDetail,
    BatchSummary,
    StepCompletion,
    StepResult,
    StepVerification,
)
from ebr.domain.batch import BatchStatus
from ebr.domain.roles import Role
from ebr.store.batches import list_batches
from ebr.store.db import session_scope
from ebr.store.users import UserRow
from workflows.messages import CompleteStepInput, StepRecorded, VerifyStepInput

router = APIRouter(prefix="/api/batches", tags=["batches"])

BatchStarter = Annotated[UserRow, Depends(RequireRole(Role.SUPERVISOR, Role.ADMIN))]


@router.post("", response_model=BatchDetail, status_code=201)
async def start(
    body: BatchCreate, _: BatchStarter, actor: ActorDep, context: ContextDep, temporal: TemporalDep
) -> BatchDetail:
    batch_id = await batch_commands.start_batch(
        client=temporal,
        engine=context.reads,
        task_queue=context.settings.task_queue,
        recipe_code=body.recipe_code,
        recipe_version=body.recipe_version,
        batch_number=body.batch_number,
        planned=body.planned_quantity,
        actor=actor,
    )
    with session_scope(context.reads) as session:
        return batch_detail(session=session, batch_id=batch_id)


@router.get("", response_model=list[BatchSummary])
def batches(
    _: CurrentUser,
    session: ReadSessionDep,
    status: BatchStatus | None = None,
    recipe_code: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[BatchSummary]:
    rows = list_batches(
        session=session, status=status, recipe_code=recipe_code, limit=limit, offset=offset
    )
    return [batch_summary(row) for row in rows]


@router.get("/{batch_id}", response_model=BatchDetail)
def batch(batch_id: str, _: CurrentUser, session: ReadSessionDep) -> BatchDetail:
    return batch_detail(session=session, batch_id=batch_id)


@router.post("/{batch_id}/steps/{step_id}/complete", response_model=StepResult)
async def complete(
    batch_id: str,
    step_id: str,
    body: StepCompletion,
    actor: ActorDep,
    context: ContextDep,
    temporal: TemporalDep,
) -> StepResult:
    recorded = await batch_commands.complete_step(
        client=temporal,
        engine=context.reads,
        batch_id=batch_id,
        request=CompleteStepInput(
            step_id=step_id, actor=actor, values=body.values, comment=body.comment
        ),
    )
    return _result(recorded)


@router.post("/{batch_id}/steps/{step_id}/verify", response_model=StepResult)
async def verify(
    batch_id: str,
    step_id: str,
    body: StepVerification,
    actor: ActorDep,
    context: ContextDep,
    temporal: TemporalDep,
) -> StepResult:
    recorded = await batch_commands.verify_step(
        client=temporal,
        engine=context.reads,
        batch_id=batch_id,
        request=VerifyStepInput(step_id=step_id, actor=actor, comment=body.comment),
    )
    return _result(recorded)


def _result(recorded: StepRecorded) -> StepResult:
    return StepResult(
        record=record_view(recorded.record),
        step_status=recorded.progress.status,
        batch_status=recorded.batch_status,
        steps_done=recorded.steps_done,
        steps_total=recorded.steps_total,
    )
