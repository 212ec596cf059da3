"""The review's form: QA marks an exception reviewed (release and rejection are decisions:
``api.web.routes.decisions``).

Each is the JSON review route's request and command.
"""

from __future__ import annotations

from starlette.datastructures import FormData

from api.commands import Commands
from api.review_schemas import ReviewMarking
from api.web.forms import shown_again, submit, text, update_sender
from api.web.session import WebUser
from api.web.views import FormState
from workflows.batch_workflow import BatchWorkflow
from workflows.messages import MarkReviewedInput

__all__ = ["mark"]


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
