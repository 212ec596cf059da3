"""The hold forms: a hold placed with its reason, and QA's signed lift of a person's hold.

Each is the JSON hold route's request and command.
"""

from __future__ import annotations

from functools import partial

from starlette.datastructures import FormData

from api import holds
from api.commands import Commands
from api.context import ApiContext
from api.hold_schemas import HoldLift, HoldPlacement
from api.web.forms import shown_again, submit, text, update_sender
from api.web.session import WebUser
from api.web.views import FormState
from workflows.batch_workflow import BatchWorkflow
from workflows.messages import PlaceHoldInput

__all__ = ["lift", "place"]


async def place(
    form: FormData, commands: Commands, user: WebUser, batch_id: str
) -> FormState | None:
    """A supervisor or QA puts the batch on hold, with the reason."""
    send = update_sender(commands, user, batch_id, BatchWorkflow.place_hold, PlaceHoldInput)
    shown = shown_again(HoldPlacement, form, action="hold", target="new")
    return await submit(HoldPlacement, form, send, user=user, shown=shown)


async def lift(
    form: FormData, context: ApiContext, user: WebUser, batch_id: str
) -> FormState | None:
    """QA lifts a person's hold (the form's ``hold_id``): a signed decision (meaning approved)
    with the reason."""
    send = partial(holds.lift, context, user.actor, batch_id=batch_id)
    shown = shown_again(HoldLift, form, action="lift", target=text(form, "hold_id"))
    return await submit(HoldLift, form, send, user=user, shown=shown)
