"""Holds as the API answers them, and QA's signed lift of one (which hold a lift names)."""

from __future__ import annotations

from sqlalchemy import Engine

from api.batch_views import stored_batch
from api.context import ApiContext
from api.decisions import decide
from api.hold_schemas import HoldLift, HoldResult
from ebr.domain.batch import Actor
from ebr.domain.holds import active_hold
from ebr.domain.refusals import HoldNotActive
from ebr.domain.subjects import hold_subject
from ebr.store.batch_events import load_batch_events
from ebr.store.db import session_scope
from workflows.messages import HoldChanged

__all__ = ["hold_result", "hold_to_lift", "lift"]


async def lift(context: ApiContext, actor: Actor, body: HoldLift, *, batch_id: str) -> HoldChanged:
    """Lift ``body.hold_id`` (or the hold ``hold_to_lift`` names) by QA's signed decision
    (meaning ``approved``), recorded in the batch's signed record."""
    hold_id = body.hold_id or hold_to_lift(engine=context.reads, batch_id=batch_id)
    signed = await decide(context, actor, body, batch_id=batch_id, subject=hold_subject(hold_id))
    decided = signed.recorded
    assert decided.hold is not None, "lifting a hold answers with the hold"
    return HoldChanged(hold=decided.hold, batch_status=decided.batch_status)


def hold_to_lift(*, engine: Engine, batch_id: str) -> str:
    """The batch's earliest active hold placed by a person (a deviation's hold ends with the
    deviation), else its earliest active hold; ``hold_not_active`` when none is active."""
    with session_scope(engine) as session:
        stored_batch(session=session, batch_id=batch_id)
        holds = load_batch_events(session=session, batch_id=batch_id).holds
    active = [h for h in holds if h.active]
    by_people = [h for h in active if h.deviation_id is None]
    earliest = active_hold(by_people or active)
    if earliest is None:
        raise HoldNotActive("the batch has no active hold to lift", {"hold_id": None})
    return earliest.hold_id


def hold_result(changed: HoldChanged) -> HoldResult:
    """The hold's answer: the hold as it stands now, and the batch's status."""
    return HoldResult.model_validate(
        {**changed.hold.model_dump(), "batch_status": changed.batch_status}
    )
