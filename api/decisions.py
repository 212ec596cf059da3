"""Signed decisions taken from their requests: release, rejection, disposition, hold lift.

The one call the decision routes and the decision forms make, and its answer.
"""

from __future__ import annotations

from api.context import ApiContext
from api.deviation_schemas import DeviationDisposition
from api.hold_schemas import HoldLift
from api.review_schemas import BatchRejection, BatchRelease, DecisionResult
from api.signing import SignedDecision, sign_decision
from ebr.domain.batch import Actor

__all__ = ["Decision", "decide", "decision_result"]

Decision = BatchRelease | BatchRejection | DeviationDisposition | HoldLift


async def decide(
    context: ApiContext, actor: Actor, body: Decision, *, batch_id: str, subject: str
) -> SignedDecision:
    """Sign the decision ``body`` asks for on ``subject`` (``ebr.domain.signed``: the batch, a
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


def decision_result(signed: SignedDecision) -> DecisionResult:
    """The decision's answer: what the workflow decided, with its record as stored."""
    return DecisionResult.model_validate({**signed.decided.model_dump(), "record": signed.view})
