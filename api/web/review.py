"""The review forms: QA marks an exception reviewed, and releases or rejects the batch, signed.

Each is the JSON review route's request and command.
"""

from __future__ import annotations

from functools import partial

from starlette.datastructures import FormData

from api.commands import Commands
from api.context import ApiContext
from api.decisions import decide
from api.review_schemas import BatchRejection, BatchRelease, ReviewMarking
from api.web.forms import shown_again, submit, text, update_sender
from api.web.session import WebUser
from api.web.views import FormState
from ebr.domain.subjects import batch_subject
from workflows.batch_workflow import BatchWorkflow
from workflows.messages import MarkReviewedInput

__all__ = ["DECISIONS", "decision", "mark"]


async def mark(
    form: FormData, commands: Commands, user: WebUser, batch_id: str
) -> FormState | None:
    """QA marks one exception (the form's ``exception_id``) reviewed, with an optional comment."""
    exception_id, update = text(form, "exception_id"), BatchWorkflow.mark_reviewed
    send = update_sender(
        commands, user, batch_id, update, MarkReviewedInput, exception_id=exception_id
    )
    shown = shown_again(ReviewMarking, form, action="mark", target=exception_id)
    return await submit(ReviewMarking, form, send, user=user, shown=shown)


# QA's signed decisions on the batch, by their action.
DECISIONS: dict[str, type[BatchRelease | BatchRejection]] = {
    "release": BatchRelease,
    "reject": BatchRejection,
}


async def decision(
    form: FormData, context: ApiContext, user: WebUser, batch_id: str, action: str
) -> FormState | None:
    """QA's signed release (meaning released) or rejection (meaning rejected, with the reason),
    as ``action`` (one of ``DECISIONS``) says."""
    model = DECISIONS[action]
    send = partial(decide, context, user.actor, batch_id=batch_id, subject=batch_subject(batch_id))
    shown = shown_again(model, form, action=action, target="batch")
    return await submit(model, form, send, user=user, shown=shown)
