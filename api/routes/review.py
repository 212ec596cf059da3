"""Review by exception and QA's decision on a batch: the exceptions, QA's marks, release and
rejection (each signed). Who may do what is the batch workflow's to check."""

from __future__ import annotations

from fastapi import APIRouter

from api import batch_commands
from api.decisions import decision_result
from api.deps import ActorDep, ContextDep, CurrentUser, ReadSessionDep, TemporalDep
from api.review_views import batch_review
from api.schemas import (
    BatchRejection,
    BatchRelease,
    DecisionResult,
    ReviewMarking,
    ReviewMarkResult,
    ReviewView,
)
from api.signing import sign_decision
from ebr.domain.meanings import Meaning
from ebr.domain.subjects import batch_subject
from workflows.messages import MarkReviewedInput

router = APIRouter(prefix="/api/batches/{batch_id}", tags=["review"])


@router.get("/review", response_model=ReviewView)
def review(batch_id: str, _: CurrentUser, session: ReadSessionDep) -> ReviewView:
    """Only the exceptions (out-of-limit values, deviations, corrections, comments, holds, timer
    breaches, late verifications), each with whether QA reviewed it; ``none`` when the batch's
    execution had none; ``release_blocked`` lists what a release would be refused for now."""
    return batch_review(session=session, batch_id=batch_id)


@router.post("/review/{exception_id:path}", response_model=ReviewMarkResult)
async def mark_reviewed(
    batch_id: str,
    exception_id: str,
    body: ReviewMarking,
    actor: ActorDep,
    context: ContextDep,
    temporal: TemporalDep,
) -> ReviewMarkResult:
    """QA marks one exception reviewed, with an optional comment.

    Exception ids hold ``:`` and ``/`` (``out_of_limit:<record id>:<input>``, where a record id
    is ``<batch>/<step>/<execution>/<meaning>``): the id is the rest of the path, taken whole,
    so it may be sent as it is or percent-encoded.
    """
    marked = await batch_commands.mark_reviewed(
        client=temporal,
        engine=context.reads,
        batch_id=batch_id,
        request=MarkReviewedInput(actor=actor, exception_id=exception_id, comment=body.comment),
    )
    return ReviewMarkResult(
        mark=marked.mark, exception=marked.exception, unreviewed=marked.unreviewed
    )


@router.post("/release", response_model=DecisionResult)
async def release(
    batch_id: str, body: BatchRelease, actor: ActorDep, context: ContextDep
) -> DecisionResult:
    """QA releases the batch with a signature (meaning ``released``): refused with the list of
    what is missing until every step is done, every deviation closed and every exception
    reviewed, and refused to anyone who performed or verified a step of the batch."""
    signed = await sign_decision(
        context=context,
        actor=actor,
        batch_id=batch_id,
        subject=batch_subject(batch_id),
        meaning=Meaning.RELEASED,
        signature=body.signature,
        comment=body.comment,
    )
    return decision_result(signed)


@router.post("/reject", response_model=DecisionResult)
async def reject(
    batch_id: str, body: BatchRejection, actor: ActorDep, context: ContextDep
) -> DecisionResult:
    """QA rejects the batch with a signature (meaning ``rejected``) and a reason."""
    signed = await sign_decision(
        context=context,
        actor=actor,
        batch_id=batch_id,
        subject=batch_subject(batch_id),
        meaning=Meaning.REJECTED,
        signature=body.signature,
        comment=body.comment,
        reason=body.reason,
    )
    return decision_result(signed)
