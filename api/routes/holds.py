"""A batch's holds: a supervisor or QA places one; QA lifts it with a signed decision."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api import holds
from api.deps import ActorDep, CommandsDep, ContextDep, RequireRole
from api.hold_schemas import HoldLift, HoldPlacement, HoldResult
from ebr.domain.roles import Role
from ebr.store.users import UserRow
from workflows.batch_workflow import BatchWorkflow
from workflows.messages import PlaceHoldInput

router = APIRouter(prefix="/api/batches/{batch_id}/hold", tags=["batches"])

HoldPlacer = Annotated[UserRow, Depends(RequireRole(Role.SUPERVISOR, Role.QA))]


@router.post("", response_model=HoldResult)
async def place_hold(
    batch_id: str, body: HoldPlacement, _: HoldPlacer, actor: ActorDep, commands: CommandsDep
) -> HoldResult:
    """Put the batch on hold with a reason: no step is performed or verified until QA lifts it."""
    placing = PlaceHoldInput(actor=actor, **body.model_dump())
    changed = await commands.update(batch_id, BatchWorkflow.place_hold, placing)
    return holds.hold_result(changed)


@router.post("/lift", response_model=HoldResult)
async def lift_hold(
    batch_id: str, body: HoldLift, actor: ActorDep, context: ContextDep
) -> HoldResult:
    """Lift a hold: QA's signature (meaning ``approved``) with a reason, recorded in the batch's
    signed record. ``hold_id`` names the hold; without it, the batch's earliest active hold
    placed by a person (a deviation's hold ends with the deviation's disposition)."""
    changed = await holds.lift(context, actor, body, batch_id=batch_id)
    return holds.hold_result(changed)
