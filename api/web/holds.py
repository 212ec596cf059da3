"""The hold form: a hold placed with its reason (QA's signed lift is a decision).

Each is the JSON hold route's request and command.
"""

from __future__ import annotations

from starlette.datastructures import FormData

from api.commands import Commands
from api.hold_schemas import HoldPlacement
from api.web.forms import shown_again, submit, update_sender
from api.web.session import WebUser
from api.web.views import FormState
from workflows.batch_workflow import BatchWorkflow
from workflows.messages import PlaceHoldInput

__all__ = ["place"]


async def place(
    form: FormData, commands: Commands, user: WebUser, batch_id: str
) -> FormState | None:
    """A supervisor or QA puts the batch on hold, with the reason."""
    send = update_sender(commands, user, batch_id, BatchWorkflow.place_hold, PlaceHoldInput)
    shown = shown_again(HoldPlacement, form, action="hold", target="new")
    return await submit(HoldPlacement, form, send, user=user, shown=shown)
