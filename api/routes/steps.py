"""A batch's steps: complete, verify or correct one, each an electronic signature."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ActorDep, ContextDep
from api.schemas import StepCompletion, StepCorrection, StepResult, StepVerification
from api.steps import sign, step_result

router = APIRouter(prefix="/api/batches/{batch_id}/steps/{step_id}", tags=["batches"])


@router.post("/complete", response_model=StepResult)
async def complete(
    batch_id: str, step_id: str, body: StepCompletion, actor: ActorDep, context: ContextDep
) -> StepResult:
    """Complete a step with its values, signed (meaning ``performed``) with the password."""
    return step_result(await sign(context, actor, body, batch_id=batch_id, step_id=step_id))


@router.post("/verify", response_model=StepResult)
async def verify(
    batch_id: str, step_id: str, body: StepVerification, actor: ActorDep, context: ContextDep
) -> StepResult:
    """Verify another person's step, signed (meaning ``verified``)."""
    return step_result(await sign(context, actor, body, batch_id=batch_id, step_id=step_id))


@router.post("/correct", response_model=StepResult)
async def correct(
    batch_id: str, step_id: str, body: StepCorrection, actor: ActorDep, context: ContextDep
) -> StepResult:
    """Correct a step's values: a new signed record (meaning ``corrected``) with a reason that
    points at the original; the original is never changed, and both stay in the record."""
    return step_result(await sign(context, actor, body, batch_id=batch_id, step_id=step_id))
