"""Changing a deviation from its request: its own workflow's stages, and QA's signed decisions.

Investigation and CAPA go to the deviation's own workflow; the classification and the disposition
are QA's signed decisions, recorded by the batch.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from temporalio.workflow import UpdateMethodMultiParam

from api.commands import Commands
from api.context import ApiContext
from api.decisions import decide
from api.deviation_schemas import (
    CapaReference,
    DeviationClassification,
    DeviationDisposition,
    DeviationInvestigation,
)
from api.deviation_views import DeviationPath, stored_deviation
from api.signing import Signed
from ebr.domain.batch import Actor
from ebr.domain.deviations import Deviation
from ebr.domain.subjects import deviation_subject
from workflows.deviation_workflow import DeviationWorkflow
from workflows.messages import (
    CapaInput,
    DeviationChanged,
    InvestigateInput,
    Recorded,
)

__all__ = ["Change", "change", "decide_on"]

Change = DeviationInvestigation | CapaReference

# Each request to the deviation's workflow: the update that takes it, and that update's input
# (the request's fields and who asks).
_UPDATES: dict[
    type[BaseModel],
    tuple[UpdateMethodMultiParam[[DeviationWorkflow, Any], DeviationChanged], type[BaseModel]],
] = {
    DeviationInvestigation: (DeviationWorkflow.investigate, InvestigateInput),
    CapaReference: (DeviationWorkflow.attach_capa, CapaInput),
}


async def change(commands: Commands, actor: Actor, at: DeviationPath, body: Change) -> Deviation:
    """Send ``body`` (an investigation or a CAPA reference) to the deviation's
    workflow as ``actor``'s; the deviation's new version. Who may do it, and at which stage, is
    the workflow's to say."""
    update, message = _UPDATES[type(body)]
    arg = message.model_validate({**body.model_dump(), "actor": actor})
    changed = await commands.deviation_update(at.batch_id, at.deviation_id, update, arg)
    return changed.deviation


async def decide_on(
    context: ApiContext,
    actor: Actor,
    at: DeviationPath,
    body: DeviationClassification | DeviationDisposition,
) -> Signed[Recorded]:
    """QA's signed classification (meaning ``classified``) or disposition (meaning ``approved``)
    of a deviation, once the store says it belongs to this batch."""
    stored_deviation(engine=context.reads, batch_id=at.batch_id, deviation_id=at.deviation_id)
    subject = deviation_subject(at.deviation_id)
    return await decide(context, actor, body, batch_id=at.batch_id, subject=subject)
