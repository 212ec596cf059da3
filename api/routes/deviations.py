"""Deviations of a batch: list and read them, open one by hand, investigate, classify, attach a
CAPA, and disposition one (QA's signature). Who may do what is the workflows' to check."""

from __future__ import annotations

from fastapi import APIRouter

from api import batch_commands, deviation_commands
from api.decisions import decision_result
from api.deps import ActorDep, ContextDep, CurrentUser, ReadSessionDep, TemporalDep
from api.deviation_views import batch_deviations, stored_deviation
from api.schemas import (
    CapaReference,
    DecisionResult,
    DeviationClassification,
    DeviationDisposition,
    DeviationInvestigation,
    DeviationOpening,
)
from api.signing import sign_decision
from ebr.domain.deviations import Deviation
from ebr.domain.records import Meaning
from ebr.domain.signed import deviation_subject
from workflows.messages import CapaInput, ClassifyInput, InvestigateInput, OpenDeviationInput

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
    batch_id: str,
    body: DeviationOpening,
    actor: ActorDep,
    context: ContextDep,
    temporal: TemporalDep,
) -> Deviation:
    """Anyone opens a deviation by hand, describing it (and naming the step it concerns)."""
    changed = await batch_commands.open_deviation(
        client=temporal,
        engine=context.reads,
        batch_id=batch_id,
        request=OpenDeviationInput(actor=actor, description=body.description, step_id=body.step_id),
    )
    return changed.deviation


@router.post("/{deviation_id}/investigate", response_model=Deviation)
async def investigate(
    batch_id: str,
    deviation_id: str,
    body: DeviationInvestigation,
    actor: ActorDep,
    context: ContextDep,
    temporal: TemporalDep,
) -> Deviation:
    """A supervisor records the root cause, the impact and the steps affected."""
    changed = await deviation_commands.investigate(
        client=temporal,
        engine=context.reads,
        batch_id=batch_id,
        deviation_id=deviation_id,
        request=InvestigateInput(
            actor=actor,
            root_cause=body.root_cause,
            impact=body.impact,
            affected_steps=tuple(body.affected_steps),
        ),
    )
    return changed.deviation


@router.post("/{deviation_id}/classify", response_model=Deviation)
async def classify(
    batch_id: str,
    deviation_id: str,
    body: DeviationClassification,
    actor: ActorDep,
    context: ContextDep,
    temporal: TemporalDep,
) -> Deviation:
    """QA classifies an investigated deviation: minor, major or critical."""
    changed = await deviation_commands.classify(
        client=temporal,
        engine=context.reads,
        batch_id=batch_id,
        deviation_id=deviation_id,
        request=ClassifyInput(
            actor=actor, classification=body.classification, comment=body.comment
        ),
    )
    return changed.deviation


@router.post("/{deviation_id}/capa", response_model=Deviation)
async def attach_capa(
    batch_id: str,
    deviation_id: str,
    body: CapaReference,
    actor: ActorDep,
    context: ContextDep,
    temporal: TemporalDep,
) -> Deviation:
    """A supervisor or QA attaches a CAPA reference to a deviation not yet closed."""
    changed = await deviation_commands.attach_capa(
        client=temporal,
        engine=context.reads,
        batch_id=batch_id,
        deviation_id=deviation_id,
        request=CapaInput(actor=actor, capa_ref=body.capa_ref),
    )
    return changed.deviation


@router.post("/{deviation_id}/disposition", response_model=DecisionResult)
async def disposition(
    batch_id: str,
    deviation_id: str,
    body: DeviationDisposition,
    actor: ActorDep,
    context: ContextDep,
) -> DecisionResult:
    """QA closes a classified deviation with a signature (meaning ``approved``): ``accept``,
    ``rework`` (the named steps are opened again as new executions) or ``reject`` (the batch
    ends rejected). The signed record carries the decision, the steps and the CAPA reference."""
    stored_deviation(engine=context.reads, batch_id=batch_id, deviation_id=deviation_id)
    signed = await sign_decision(
        context=context,
        actor=actor,
        batch_id=batch_id,
        subject=deviation_subject(deviation_id),
        meaning=Meaning.APPROVED,
        signature=body.signature,
        comment=body.comment,
        reason=body.reason,
        detail={
            "decision": body.decision.value,
            "rework_steps": list(body.rework_steps),
            "capa_ref": body.capa_ref,
        },
    )
    return decision_result(signed)
