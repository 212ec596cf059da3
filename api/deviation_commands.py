"""Changing a deviation: investigation, classification and CAPA go to its own workflow (a child of
the batch, workflow id = deviation id); its disposition is a signed decision of the batch."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from sqlalchemy import Engine
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from api.batch_commands import answered_update
from api.deviation_views import stored_deviation
from ebr.domain.deviations import Deviation
from ebr.domain.refusals import DeviationStateError
from workflows.deviation import DeviationWorkflow
from workflows.messages import CapaInput, ClassifyInput, DeviationChanged, InvestigateInput

T = TypeVar("T")


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
        raise DeviationStateError(
            f"deviation {deviation_id} is {dev.stage.value} and takes no more changes",
            {"deviation_id": deviation_id, "stage": dev.stage.value},
        ) from None
