"""Changing batches: every change goes through the batch's workflow, never straight to the store.

These functions take the engine, not a session: they read in short transactions and hold none
while they wait for a workflow, whose activities must be free to write the same store meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import UTC, datetime
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import Engine
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ActivityError, ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.refusals import InvalidRequest, UpdateFailed, WorkflowUnavailable
from ebr.domain.batch import Actor, BatchHeader, BatchStatus
from ebr.domain.recipe import Quantity
from ebr.domain.refusals import (
    BatchExists,
    BatchNotActive,
    BatchNotFound,
    RecipeNotFound,
    Refusal,
)
from ebr.domain.units import convert
from ebr.store.batches import get_batch
from ebr.store.db import session_scope
from ebr.store.recipes import get_recipe, recipe_of
from workflows.batch import BatchWorkflow, search_attributes_for
from workflows.messages import (
    BatchOutcome,
    CompleteStepInput,
    Decided,
    DeviationChanged,
    HoldChanged,
    LiftHoldInput,
    MarkReviewedInput,
    OpenDeviationInput,
    PlaceHoldInput,
    ReviewMarked,
    SignedAction,
    StartBatch,
    StepRecorded,
    VerifyStepInput,
)

T = TypeVar("T")

# How long the API waits for a workflow to answer before telling the client to try again.
ANSWER_TIMEOUT_SECONDS = 30.0


async def start_batch(
    *,
    client: Client,
    engine: Engine,
    task_queue: str,
    recipe_code: str,
    recipe_version: int,
    batch_number: str,
    planned: Quantity,
    actor: Actor,
) -> str:
    """Start the batch's workflow and wait until its record exists; return the batch id."""
    with session_scope(engine) as session:
        row = get_recipe(session=session, code=recipe_code, version=recipe_version)
        if row is None:
            raise RecipeNotFound(
                f"there is no recipe {recipe_code} v{recipe_version}",
                {"recipe_code": recipe_code, "recipe_version": recipe_version},
            )
        recipe = recipe_of(row)
        recipe_hash = row.content_hash
        if get_batch(session=session, batch_id=batch_number) is not None:
            raise _batch_exists(batch_number)
    planned_in_recipe_unit = Quantity(
        value=convert(planned.value, planned.unit, recipe.batch_size.unit),
        unit=recipe.batch_size.unit,
    )
    if planned_in_recipe_unit.value <= Decimal(0):
        raise InvalidRequest(
            "the planned quantity must be greater than zero",
            [{"field": "planned_quantity.value", "reason": "must be greater than 0"}],
        )
    header = BatchHeader(
        batch_id=batch_number,
        batch_number=batch_number,
        recipe_code=recipe.code,
        recipe_version=recipe.version,
        recipe_hash=recipe_hash,
        product_code=recipe.product.code,
        planned_quantity=planned_in_recipe_unit,
        created_by=actor.user_id,
        created_at=datetime.now(UTC),
    )
    try:
        handle = await client.start_workflow(
            BatchWorkflow.run,
            StartBatch(
                header=header, recipe=recipe, signatures_required=True, station=actor.station
            ),
            id=header.batch_id,
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=search_attributes_for(recipe.code, BatchStatus.IN_PROGRESS),
        )
    except WorkflowAlreadyStartedError:
        raise _batch_exists(batch_number) from None
    await _answered(handle.execute_update(BatchWorkflow.opened))
    return header.batch_id


async def complete_step(
    *, client: Client, engine: Engine, batch_id: str, request: CompleteStepInput
) -> StepRecorded:
    handle: WorkflowHandle[BatchWorkflow, BatchOutcome] = client.get_workflow_handle(batch_id)
    return await _update(
        engine, batch_id, handle.execute_update(BatchWorkflow.complete_step, request)
    )


async def verify_step(
    *, client: Client, engine: Engine, batch_id: str, request: VerifyStepInput
) -> StepRecorded:
    handle: WorkflowHandle[BatchWorkflow, BatchOutcome] = client.get_workflow_handle(batch_id)
    return await _update(
        engine, batch_id, handle.execute_update(BatchWorkflow.verify_step, request)
    )


async def sign(
    *, client: Client, engine: Engine, batch_id: str, action: SignedAction
) -> StepRecorded:
    """Send a signed action to its batch; the workflow records it exactly as signed, or refuses."""
    handle: WorkflowHandle[BatchWorkflow, BatchOutcome] = client.get_workflow_handle(batch_id)
    return await _update(engine, batch_id, handle.execute_update(BatchWorkflow.sign, action))


async def place_hold(
    *, client: Client, engine: Engine, batch_id: str, request: PlaceHoldInput
) -> HoldChanged:
    """Put a batch on hold through its workflow; refused unless supervisor or QA, with a reason."""
    handle: WorkflowHandle[BatchWorkflow, BatchOutcome] = client.get_workflow_handle(batch_id)
    return await _update(engine, batch_id, handle.execute_update(BatchWorkflow.place_hold, request))


async def lift_hold(
    *, client: Client, engine: Engine, batch_id: str, request: LiftHoldInput
) -> HoldChanged:
    """Lift a hold unsigned: only a batch started before signed decisions takes this."""
    handle: WorkflowHandle[BatchWorkflow, BatchOutcome] = client.get_workflow_handle(batch_id)
    return await _update(engine, batch_id, handle.execute_update(BatchWorkflow.lift_hold, request))


async def decide(*, client: Client, engine: Engine, batch_id: str, action: SignedAction) -> Decided:
    """Send a signed decision (release, rejection, disposition, hold lift) to its batch."""
    handle: WorkflowHandle[BatchWorkflow, BatchOutcome] = client.get_workflow_handle(batch_id)
    return await _update(engine, batch_id, handle.execute_update(BatchWorkflow.decide, action))


async def open_deviation(
    *, client: Client, engine: Engine, batch_id: str, request: OpenDeviationInput
) -> DeviationChanged:
    """Open a deviation by hand (anyone, with a description); the batch starts its child."""
    handle: WorkflowHandle[BatchWorkflow, BatchOutcome] = client.get_workflow_handle(batch_id)
    return await _update(
        engine, batch_id, handle.execute_update(BatchWorkflow.open_deviation, request)
    )


async def mark_reviewed(
    *, client: Client, engine: Engine, batch_id: str, request: MarkReviewedInput
) -> ReviewMarked:
    """QA's mark that one exception of the batch's review was looked at (audited by the batch)."""
    handle: WorkflowHandle[BatchWorkflow, BatchOutcome] = client.get_workflow_handle(batch_id)
    return await _update(
        engine, batch_id, handle.execute_update(BatchWorkflow.mark_reviewed, request)
    )


async def _update(engine: Engine, batch_id: str, call: Awaitable[T]) -> T:
    """Run one update and translate the workflow's refusals into answers a person can act on."""
    try:
        return await answered_update(call)
    except RPCError as exc:
        if exc.status is RPCStatusCode.NOT_FOUND:
            # Temporal knows no running batch by that id: ask the store whether it ever existed.
            with session_scope(engine) as session:
                batch = get_batch(session=session, batch_id=batch_id)
                status = batch.status if batch else None
            if status is None:
                raise BatchNotFound(
                    f"there is no batch {batch_id}", {"batch_id": batch_id}
                ) from None
            raise BatchNotActive(
                f"batch {batch_id} is {status.replace('_', ' ')} and takes no more step records",
                {"status": status},
            ) from None
        raise


async def answered_update(call: Awaitable[T]) -> T:
    """Await one workflow update; a refusal (an update failure whose type is a domain error code,
    or a store activity's refusal) becomes the Refusal a person can act on."""
    try:
        return await _answered(call)
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        if isinstance(cause, ActivityError) and isinstance(cause.cause, ApplicationError):
            cause = cause.cause  # refused by the store activity (bad signature, conflict)
        if isinstance(cause, ApplicationError) and cause.type:
            info = cause.details[0] if cause.details else {}
            details = info.get("details") if isinstance(info, dict) else None
            raise Refusal.of(cause.type, cause.message, details) from None
        raise UpdateFailed(f"the batch could not record this: {exc}") from None


async def _answered(call: Awaitable[T]) -> T:
    try:
        return await asyncio.wait_for(call, ANSWER_TIMEOUT_SECONDS)
    except TimeoutError:
        raise WorkflowUnavailable(
            "the batch did not answer in time: is an ebr "
            "worker running? Nothing was recorded unless the batch shows it.",
        ) from None


def _batch_exists(batch_number: str) -> Refusal:
    return BatchExists(
        f"batch number {batch_number} is already used",
        {"batch_number": batch_number},
    )
