"""Deviation routes: list, read, open, investigate, CAPA, signed classification and disposition.

Who may do what is the workflows' to check.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.decisions import decision_result
from api.deps import ActorDep, CommandsDep, ContextDep, CurrentUser, DeviationAt, ReadSessionDep
from api.deviation_schemas import (
    CapaReference,
    DeviationClassification,
    DeviationDisposition,
    DeviationInvestigation,
    DeviationOpening,
)
from api.deviation_views import batch_deviations, stored_deviation
from api.deviations import change, decide_on
from api.review_schemas import DecisionResult
from ebr.domain.deviations import Deviation
from workflows.batch_workflow import BatchWorkflow
from workflows.messages import OpenDeviationInput

router = APIRouter(prefix="/api/batches/{batch_id}/deviations", tags=["deviations"])


@router.get("", response_model=list[Deviation])
def deviations(batch_id: str, _: CurrentUser, session: ReadSessionDep) -> list[Deviation]:
    """Every deviation of the batch, latest version of each, in the order they were opened."""
    return batch_deviations(session=session, batch_id=batch_id)


@router.get("/{deviation_id}", response_model=Deviation)
def deviation(batch_id: str, deviation_id: str, _: CurrentUser, context: ContextDep) -> Deviation:
    return stored_deviation(engine=context.reads, batch_id=batch_id, deviation_id=deviation_id)


@router.post("", response_model=Deviation, status_code=201)
async def open_deviation(
    batch_id: str, body: DeviationOpening, actor: ActorDep, commands: CommandsDep
) -> Deviation:
    """Anyone opens a deviation by hand, describing it (and naming the step it concerns)."""
    opening = OpenDeviationInput(actor=actor, **body.model_dump())
    changed = await commands.update(batch_id, BatchWorkflow.open_deviation, opening)
    return changed.deviation


@router.post("/{deviation_id}/investigate", response_model=Deviation)
async def investigate(
    at: DeviationAt, body: DeviationInvestigation, actor: ActorDep, commands: CommandsDep
) -> Deviation:
    """A supervisor records the root cause, the impact and the steps affected."""
    return await change(commands, actor, at, body)


@router.post("/{deviation_id}/classify", response_model=DecisionResult)
async def classify(
    at: DeviationAt, body: DeviationClassification, actor: ActorDep, context: ContextDep
) -> DecisionResult:
    """QA classifies an investigated deviation with a signature (meaning ``classified``) and a
    reason: ``minor`` (lifts the hold a critical parameter placed), ``major`` or ``critical``
    (hold the batch until the disposition). A class below the one the rules gave it (critical, for
    a critical parameter) is an exception of the review by exception."""
    return decision_result(await decide_on(context, actor, at, body))


@router.post("/{deviation_id}/disposition", response_model=DecisionResult)
async def disposition(
    at: DeviationAt, body: DeviationDisposition, actor: ActorDep, context: ContextDep
) -> DecisionResult:
    """QA closes a classified deviation with a signature (meaning ``approved``): ``accept``,
    ``rework`` (the named steps are opened again as new executions) or ``reject`` (the batch
    ends rejected). The signed record carries the decision, the steps and the CAPA reference."""
    return decision_result(await decide_on(context, actor, at, body))


@router.post("/{deviation_id}/capa", response_model=Deviation)
async def attach_capa(
    at: DeviationAt, body: CapaReference, actor: ActorDep, commands: CommandsDep
) -> Deviation:
    """A supervisor or QA attaches a CAPA reference to a deviation not yet closed."""
    return await change(commands, actor, at, body)
