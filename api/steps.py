"""A step signed from its request (performed, verified or corrected), and the step's answer.

The one call the step routes and the step forms make.
"""

from __future__ import annotations

from api.context import ApiContext
from api.schemas import StepCompletion, StepCorrection, StepResult, StepVerification
from api.signing import Signed, sign_step
from ebr.domain.batch import Actor
from workflows.messages import Recorded

__all__ = ["StepBody", "sign", "step_result"]

StepBody = StepCompletion | StepVerification | StepCorrection


async def sign(
    context: ApiContext, actor: Actor, body: StepBody, *, batch_id: str, step_id: str
) -> Signed[Recorded]:
    """Sign the step as ``body`` asks (its meaning is the request's: performed, verified or
    corrected) and have the batch record it (``api.signing.sign_step``)."""
    return await sign_step(
        context=context,
        actor=actor,
        batch_id=batch_id,
        step_id=step_id,
        entered=None if isinstance(body, StepVerification) else body.values,
        reason=body.reason if isinstance(body, StepCorrection) else None,
        comment=body.comment,
        meaning=body.meaning,
        signature=body.signature,
    )


def step_result(signed: Signed[Recorded]) -> StepResult:
    """The step's answer: its record as stored, and where the step and the batch stand."""
    recorded = signed.recorded
    assert recorded.progress is not None, "a step record answers with the step's progress"
    return StepResult(
        record=signed.view,
        step_status=recorded.progress.status,
        batch_status=recorded.batch_status,
        steps_done=recorded.steps_done,
        steps_total=recorded.steps_total,
    )
