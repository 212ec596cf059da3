"""The deviation forms: open by hand and investigate (the signed classification and disposition
are decisions: ``api.web.routes.decisions``).

Each is the JSON deviation route's request and command.
"""

from __future__ import annotations

from functools import partial

from starlette.datastructures import FormData

from api import deviations
from api.commands import Commands
from api.deviation_schemas import DeviationInvestigation, DeviationOpening
from api.deviation_views import DeviationPath
from api.web.forms import shown_again, submit, update_sender
from api.web.session import WebUser
from api.web.views import FormState
from workflows.batch_workflow import BatchWorkflow
from workflows.messages import OpenDeviationInput

__all__ = ["STAGES", "change", "open_deviation"]

# The forms sent to the deviation's own workflow, by their action.
STAGES: dict[str, type[DeviationInvestigation]] = {"investigate": DeviationInvestigation}


async def open_deviation(
    form: FormData, commands: Commands, user: WebUser, batch_id: str
) -> FormState | None:
    """Anyone opens a deviation by hand, describing it, and naming a step if it concerns one."""
    update = BatchWorkflow.open_deviation
    send = update_sender(commands, user, batch_id, update, OpenDeviationInput)
    shown = shown_again(DeviationOpening, form, action="open_deviation", target="new")
    return await submit(DeviationOpening, form, send, user=user, shown=shown)


async def change(
    form: FormData, commands: Commands, user: WebUser, at: DeviationPath, action: str
) -> FormState | None:
    """A supervisor's investigation (root cause, impact, the steps affected), as ``action`` (one
    of ``STAGES``) says."""
    model, send = STAGES[action], partial(deviations.change, commands, user.actor, at)
    shown = shown_again(model, form, action=action, target=at.deviation_id)
    return await submit(model, form, send, user=user, shown=shown)
