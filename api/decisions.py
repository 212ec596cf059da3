"""Signed decisions taken from their requests: release, rejection, disposition, hold lift.

The one call the decision routes and the decision forms make, and its answer.
"""

from __future__ import annotations

from api.context import ApiContext
from api.deviation_schemas import DeviationDisposition
from api.hold_schemas import HoldLift
from api.review_schemas import BatchRejection, BatchRelease, DecisionResult
from api.signing import Signed, sign_decision
from ebr.domain.batch import Actor
from ebr.domain.subjects import Subject
from workflows.messages import Recorded

__all__ = ["Decision", "decide", "decision_result"]

Decision = BatchRelease | BatchRejection | DeviationDisposition | HoldLift


async def decide(
    context: ApiContext, actor: Actor, body: Decision, *, batch_id: str, subject: Subject
) -> Signed[Recorded]:
    """Sign the decision ``body`` asks for on ``subject`` (``ebr.domain.subjects``: the batch, a
    deviation or a hold) with its request's meaning, and have the batch decide it
    (``api.signing.sign_decision``)."""
    return await sign_decision(
        context=context,
        actor=actor,
        batch_id=batch_id,
        subject=subject,
        meaning=body.meaning,
        signature=body.signature,
        comment=None if isinstance(body, HoldLift) else body.comment,
        reason=None if isinstance(body, BatchRelease) else body.reason,
        detail=body.detail() if isinstance(body, DeviationDisposition) else None,
    )


def decision_result(signed: Signed[Recorded]) -> DecisionResult:
    """The decision's answer: what the workflow decided, with its record as stored."""
    decided = signed.recorded
    return DecisionResult(
        record=signed.view,
        batch_status=decided.batch_status,
        deviation=decided.deviation,
        hold=decided.hold,
        reopened=list(decided.reopened),
    )
