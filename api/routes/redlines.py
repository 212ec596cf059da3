"""A batch's redlines: a supervisor proposes one with a signature; QA approves or rejects it with
a signature through the decision routes (``approve-redline``, ``reject-redline``)."""

from __future__ import annotations

from fastapi import APIRouter

from api import redlines
from api.decisions import decision_result
from api.deps import ActorDep, ContextDep, CurrentUser, ReadSessionDep
from api.redline_schemas import RedlineProposal, RedlineView
from api.redline_views import batch_redline_views, stored_redline
from api.review_schemas import DecisionResult

router = APIRouter(prefix="/api/batches/{batch_id}/redlines", tags=["redlines"])


@router.get("", response_model=list[RedlineView])
def batch_redlines(batch_id: str, _: CurrentUser, session: ReadSessionDep) -> list[RedlineView]:
    """Every redline of the batch, in the order proposed, each with the steps it touches in the
    master's version and the batch's (and, while it awaits QA, the version it would make)."""
    return batch_redline_views(session=session, batch_id=batch_id)


@router.get("/{redline_id}", response_model=RedlineView)
def redline(batch_id: str, redline_id: str, _: CurrentUser, session: ReadSessionDep) -> RedlineView:
    return stored_redline(session=session, batch_id=batch_id, redline_id=redline_id)


@router.post("", response_model=DecisionResult, status_code=201)
async def propose(
    batch_id: str, body: RedlineProposal, actor: ActorDep, context: ContextDep
) -> DecisionResult:
    """A supervisor proposes changes to steps not yet started (add a step after another; change
    a step's instructions, an input's limits or the step's time limits), with a reason and a
    signature (meaning ``proposed``). QA decides it with ``POST /api/batches/{id}/decisions/
    approve-redline/{redline id}`` or ``.../reject-redline/...``, naming its ``content_hash``."""
    signed = await redlines.propose(context, actor, body, batch_id=batch_id)
    return decision_result(signed)
