"""Changing a deviation: investigation, classification and CAPA go to its own workflow (a child of
the batch, workflow id = deviation id); its disposition is a signed decision of the batch."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from sqlalchemy import Engine
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from api.batch_commands import answered_update
from api.errors import ApiError
from ebr.domain.deviations import Deviation
from ebr.store.batch_events import load_batch_events
from ebr.store.batches import get_batch
from ebr.store.db import session_scope
from workflows.deviation_workflow import DeviationWorkflow
from workflows.messages import CapaInput, ClassifyInput, DeviationChanged, InvestigateInput

T = TypeVar("T")


def stored_deviation(*, engine: Engine, batch_id: str, deviation_id: str) -> Deviation:
    """The deviation's latest version as audited; 404 for an unknown batch or deviation."""
    with session_scope(engine) as session:
        if get_batch(session=session, batch_id=batch_id) is None:
            raise ApiError(
                404, "batch_not_found", f"there is no batch {batch_id}", {"batch_id": batch_id}
            )
        events = load_batch_events(session=session, batch_id=batch_id)
    found = next((d for d in events.deviations if d.id == deviation_id), None)
    if found is None:
        raise ApiError(
            404,
            "unknown_deviation",
            f"batch {batch_id} has no deviation {deviation_id!r}",
            {"deviation_id": deviation_id},
        )
    return found


async def investigate(
    *, client: Client, engine: Engine, batch_id: str, deviation_id: str, request: InvestigateInput
) -> DeviationChanged:
    """A supervisor's investigation of an open deviation."""
    handle = _handle(client, engine, batch_id, deviation_id)
    return await _update(
        engine,
        batch_id,
        deviation_id,
        handle.execute_update(DeviationWorkflow.investigate, request),
    )


async def classify(
    *, client: Client, engine: Engine, batch_id: str, deviation_id: str, request: ClassifyInput
) -> DeviationChanged:
    """QA's classification (minor, major, critical) of an investigated deviation."""
    handle = _handle(client, engine, batch_id, deviation_id)
    return await _update(
        engine, batch_id, deviation_id, handle.execute_update(DeviationWorkflow.classify, request)
    )


async def attach_capa(
    *, client: Client, engine: Engine, batch_id: str, deviation_id: str, request: CapaInput
) -> DeviationChanged:
    """A supervisor's or QA's CAPA reference, while the deviation is not closed."""
    handle = _handle(client, engine, batch_id, deviation_id)
    return await _update(
        engine,
        batch_id,
        deviation_id,
        handle.execute_update(DeviationWorkflow.attach_capa, request),
    )


def _handle(
    client: Client, engine: Engine, batch_id: str, deviation_id: str
) -> WorkflowHandle[DeviationWorkflow, Deviation]:
    """The deviation's workflow, once the store says the deviation belongs to this batch (a
    deviation id of another batch is not reachable through this one)."""
    stored_deviation(engine=engine, batch_id=batch_id, deviation_id=deviation_id)
    return client.get_workflow_handle_for(DeviationWorkflow.run, deviation_id)


async def _update(engine: Engine, batch_id: str, deviation_id: str, call: Awaitable[T]) -> T:
    try:
        return await answered_update(call)
    except RPCError as exc:
        if exc.status not in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
            raise
        # The deviation's workflow has ended: it was dispositioned, or its batch ended.
        dev = stored_deviation(engine=engine, batch_id=batch_id, deviation_id=deviation_id)
        raise ApiError(
            409,
            "deviation_state",
            f"deviation {deviation_id} is {dev.stage.value} and takes no more changes",
            {"deviation_id": deviation_id, "stage": dev.stage.value},
        ) from None
