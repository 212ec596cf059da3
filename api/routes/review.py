"""Review routes: the exceptions, QA's marks, and the signed release and rejection.

Who may do what is the batch workflow's to check.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.decisions import decide, decision_result
from api.deps import ActorDep, CommandsDep, ContextDep, CurrentUser, ReadSessionDep
from api.review_schemas import (
    BatchRejection,
    BatchRelease,
    DecisionResult,
    ReviewMarking,
    ReviewMarkResult,
    ReviewView,
)
from api.review_views import batch_review
from ebr.domain.subjects import batch_subject
from workflows.batch_workflow import BatchWorkflow
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
    batch_id: str, exception_id: str, body: ReviewMarking, actor: ActorDep, commands: CommandsDep
) -> ReviewMarkResult:
    """QA marks one exception reviewed, with an optional comment.

    Exception ids hold ``:`` and ``/`` (``out_of_limit:<record id>:<input>``, where a record id
    is ``<batch>/<step>/<execution>/<meaning>``): the id is the rest of the path, taken whole,
    so it may be sent as it is or percent-encoded.
    """
    marking = MarkReviewedInput(actor=actor, exception_id=exception_id, **body.model_dump())
    marked = await commands.update(batch_id, BatchWorkflow.mark_reviewed, marking)
    return ReviewMarkResult.model_validate(marked.model_dump())


@router.post("/release", response_model=DecisionResult)
async def release(
    batch_id: str, body: BatchRelease, actor: ActorDep, context: ContextDep
) -> DecisionResult:
    """QA releases the batch with a signature (meaning ``released``): refused with the list of
    what is missing until every step is done, every deviation closed and every exception
    reviewed, and refused to anyone who performed or verified a step of the batch."""
    signed = await decide(context, actor, body, batch_id=batch_id, subject=batch_subject(batch_id))
    return decision_result(signed)


@router.post("/reject", response_model=DecisionResult)
async def reject(
    batch_id: str, body: BatchRejection, actor: ActorDep, context: ContextDep
) -> DecisionResult:
    """QA rejects the batch with a signature (meaning ``rejected``) and a reason."""
    signed = await decide(context, actor, body, batch_id=batch_id, subject=batch_subject(batch_id))
    return decision_result(signed)
