"""A supervisor's signed proposal of a redline, taken from its request: the redline's number is
the batch's next, and the batch's workflow decides whether it may be proposed."""

from __future__ import annotations

from api.batch_views import stored_batch
from api.context import ApiContext
from api.decisions import decide
from api.redline_schemas import RedlineProposal
from api.signing import Signed
from ebr.domain.batch import Actor
from ebr.domain.redlines import redline_id
from ebr.domain.subjects import redline_subject
from ebr.store.db import session_scope
from ebr.store.redlines import batch_redlines
from workflows.messages import Recorded

__all__ = ["propose"]


async def propose(
    context: ApiContext, actor: Actor, body: RedlineProposal, *, batch_id: str
) -> Signed[Recorded]:
    """Sign ``body`` (meaning ``proposed``) as the batch's next redline, ``<batch>-RL<n>``, and
    have the batch record it. Who may propose, what may change (steps not yet started, a recipe
    the changes leave valid) and the reason are the workflow's to check; a proposal made at the
    same moment that took the number is refused (``redline_state``) and may be sent again."""
    with session_scope(context.reads) as session:
        stored_batch(session=session, batch_id=batch_id)
        number = len(batch_redlines(session=session, batch_id=batch_id)) + 1
    subject = redline_subject(redline_id(batch_id, number))
    return await decide(context, actor, body, batch_id=batch_id, subject=subject)
