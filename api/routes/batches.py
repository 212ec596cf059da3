"""Batches: start one, list them, read one, complete or verify its steps, hold and lift them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api import batch_commands
from api.batch_views import batch_detail, batch_summary, records_of_batch, stored_batch
from api.context import ApiContext
from api.deps import ActorDep, ContextDep, CurrentUser, ReadSessionDep, RequireRole, TemporalDep
from api.schemas import (
    BatchCreate,
    BatchDetail,
    BatchSummary,
    HoldLift,
    HoldPlacement,
    HoldResult,
    RecordView,
    StepCompletion,
    StepCorrection,
    StepResult,
    StepVerification,
)
from api.signing import SignedStep, sign_decision, sign_step
from ebr.domain.batch import BatchStatus
from ebr.domain.holds import Hold, active_hold
from ebr.domain.records import Meaning
from ebr.domain.refusals import HoldNotActive, Refusal
from ebr.domain.roles import Role
from ebr.domain.signed import hold_subject
from ebr.store.batch_events import load_batch_events
from ebr.store.batches import list_batches
from ebr.store.db import session_scope
from ebr.store.users import UserRow
from workflows.messages import HoldChanged, LiftHoldInput, PlaceHoldInput

router = APIRouter(prefix="/api/batches", tags=["batches"])

BatchStarter = Annotated[UserRow, Depends(RequireRole(Role.SUPERVISOR, Role.ADMIN))]
HoldPlacer = Annotated[UserRow, Depends(RequireRole(Role.SUPERVISOR, Role.QA))]


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
    batch_id: str, step_id: str, body: StepCompletion, actor: ActorDep, context: ContextDep
) -> StepResult:
    """Complete a step with its values, signed (meaning ``performed``) with the password."""
    recorded = await sign_step(
        context=context,
        actor=actor,
        batch_id=batch_id,
        step_id=step_id,
        meaning=Meaning.PERFORMED,
        signature=body.signature,
        entered=body.values,
        comment=body.comment,
    )
    return _result(recorded)


@router.post("/{batch_id}/steps/{step_id}/verify", response_model=StepResult)
async def verify(
    batch_id: str, step_id: str, body: StepVerification, actor: ActorDep, context: ContextDep
) -> StepResult:
    """Verify another person's step, signed (meaning ``verified``)."""
    recorded = await sign_step(
        context=context,
        actor=actor,
        batch_id=batch_id,
        step_id=step_id,
        meaning=Meaning.VERIFIED,
        signature=body.signature,
        comment=body.comment,
    )
    return _result(recorded)


@router.post("/{batch_id}/steps/{step_id}/correct", response_model=StepResult)
async def correct(
    batch_id: str, step_id: str, body: StepCorrection, actor: ActorDep, context: ContextDep
) -> StepResult:
    """Correct a step's values: a new signed record (meaning ``corrected``) with a reason that
    points at the original; the original is never changed, and both stay in the record."""
    recorded = await sign_step(
        context=context,
        actor=actor,
        batch_id=batch_id,
        step_id=step_id,
        meaning=Meaning.CORRECTED,
        signature=body.signature,
        entered=body.values,
        comment=body.comment,
        reason=body.reason,
    )
    return _result(recorded)


@router.post("/{batch_id}/hold", response_model=HoldResult)
async def place_hold(
    batch_id: str,
    body: HoldPlacement,
    _: HoldPlacer,
    actor: ActorDep,
    context: ContextDep,
    temporal: TemporalDep,
) -> HoldResult:
    """Put the batch on hold with a reason: no step is performed or verified until QA lifts it."""
    changed = await batch_commands.place_hold(
        client=temporal,
        engine=context.reads,
        batch_id=batch_id,
        request=PlaceHoldInput(actor=actor, reason=body.reason),
    )
    return _hold_result(changed)


@router.post("/{batch_id}/hold/lift", response_model=HoldResult)
async def lift_hold(
    batch_id: str, body: HoldLift, actor: ActorDep, context: ContextDep, temporal: TemporalDep
) -> HoldResult:
    """Lift a hold: QA's signature (meaning ``approved``) with a reason, recorded in the batch's
    signed record. ``hold_id`` names the hold; without it, the batch's earliest active hold
    placed by a person (a deviation's hold ends with the deviation's disposition).

    A batch started before signed decisions existed refuses them (``signature_required``): its
    hold is lifted as it was then, recorded with QA's identity once the password was checked."""
    hold_id = body.hold_id or _hold_to_lift(context, batch_id)
    try:
        signed = await sign_decision(
            context=context,
            actor=actor,
            batch_id=batch_id,
            subject=hold_subject(hold_id),
            meaning=Meaning.APPROVED,
            signature=body.signature,
            reason=body.reason,
        )
    except Refusal as exc:
        if exc.code != "signature_required":
            raise
        changed = await batch_commands.lift_hold(
            client=temporal,
            engine=context.reads,
            batch_id=batch_id,
            request=LiftHoldInput(actor=actor, reason=body.reason, hold_id=hold_id),
        )
        return _hold_result(changed)
    decided = signed.decided
    assert decided.hold is not None, "lifting a hold answers with the hold"
    return _hold_result(HoldChanged(hold=decided.hold, batch_status=decided.batch_status))


@router.get("/{batch_id}/records", response_model=list[RecordView])
def records(batch_id: str, _: CurrentUser, session: ReadSessionDep) -> list[RecordView]:
    """Every record of the batch in order, with its manifestation and signature."""
    return records_of_batch(session=session, batch_id=batch_id)


def _result(signed: SignedStep) -> StepResult:
    recorded = signed.recorded
    return StepResult(
        record=signed.view,
        step_status=recorded.progress.status,
        batch_status=recorded.batch_status,
        steps_done=recorded.steps_done,
        steps_total=recorded.steps_total,
    )


def _hold_to_lift(context: ApiContext, batch_id: str) -> str:
    with session_scope(context.reads) as session:
        stored_batch(session=session, batch_id=batch_id)
        active = [
            h for h in load_batch_events(session=session, batch_id=batch_id).holds if h.active
        ]
    by_people = [h for h in active if h.deviation_id is None]
    earliest = active_hold(by_people or active)
    if earliest is None:
        raise HoldNotActive("the batch has no active hold to lift", {"hold_id": None})
    return earliest.hold_id


def _hold_result(changed: HoldChanged) -> HoldResult:
    hold: Hold = changed.hold
    return HoldResult(
        hold_id=hold.hold_id,
        reason=hold.reason,
        placed_by=hold.placed_by,
        placed_at=hold.placed_at,
        lifted_by=hold.lifted_by,
        lifted_at=hold.lifted_at,
        lift_reason=hold.lift_reason,
        batch_status=changed.batch_status,
    )
