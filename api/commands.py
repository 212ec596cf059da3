"""Commands: the one path by which the API's routes and the web pages change batches and recipes.

Every change goes through a workflow (the batch's, its deviation's, the recipe code's), never
straight to the store. A command reads the store only in short transactions on the reader engine and holds none
while it waits for a workflow, whose activities must be free to write the same store meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import Engine
from temporalio.client import (
    Client,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ActivityError, ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.workflow import UpdateMethodMultiParam

from api.batch_views import stored_batch
from api.context import ApiContext
from api.deviation_views import stored_deviation
from api.readiness import ensure_temporal
from api.refusals import InvalidRequest, RecipeMissing, UpdateFailed, WorkflowUnavailable
from ebr.domain.batch import Actor, BatchHeader, BatchStatus
from ebr.domain.deviations import Deviation
from ebr.domain.recipe import Quantity
from ebr.domain.recipe_change_control import check_startable
from ebr.domain.refusals import (
    BatchExists,
    BatchNotActive,
    DeviationStateError,
    RecipeNotFound,
    Refusal,
)
from ebr.domain.roles import check_takes_part
from ebr.domain.units import convert
from ebr.store.batches import get_batch
from ebr.store.db import session_scope
from ebr.store.recipe_versions import recipe_version as recipe_version_of
from ebr.store.recipes import get_recipe, get_revision, recipe_of
from workflows.batch_workflow import BatchWorkflow, search_attributes_for
from workflows.deviation_workflow import DeviationWorkflow
from workflows.messages import BatchOutcome, StartBatch
from workflows.recipe_messages import StartRecipe, recipe_workflow_id
from workflows.recipe_workflow import RecipeWorkflow

__all__ = ["ANSWER_TIMEOUT_SECONDS", "Commands", "answered"]

P = TypeVar("P")
R = TypeVar("R")

# How long the API waits for a workflow to answer before telling the client to try again.
ANSWER_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Commands:
    """Start batches and send updates to their workflows, each answer or refusal translated.

    ``update`` sends any of the batch workflow's updates (``BatchWorkflow.place_hold``,
    ``BatchWorkflow.sign``...) and returns its answer, typed as the update declares it;
    ``deviation_update`` does the same for a deviation's own workflow. A refusal comes back as
    the ``Refusal`` of its code; a batch Temporal does not know is ``batch_not_found`` or, when
    the store knows it, ``batch_not_active``; no answer in time is ``workflow_unavailable``.
    """

    client: Client
    engine: Engine  # the reader: commands never write the store themselves
    task_queue: str

    @classmethod
    def of(cls, context: ApiContext) -> Commands:
        return cls(
            client=context.temporal, engine=context.reads, task_queue=context.settings.task_queue
        )

    async def start_batch(
        self,
        *,
        recipe_code: str,
        recipe_version: int,
        batch_number: str,
        planned: Quantity,
        actor: Actor,
    ) -> str:
        """Start the batch's workflow on the recipe version effective now (refused, saying why,
        on any other) and wait until its record exists; return the batch id. The batch binds the
        content its approval signed. An administrator starts none (``check_takes_part``)."""
        check_takes_part(actor.roles, "start a batch")
        await ensure_temporal(self.client)
        with session_scope(self.engine) as session:
            version = recipe_version_of(session=session, code=recipe_code, version=recipe_version)
            if get_recipe(session=session, code=recipe_code, version=recipe_version) is None:
                raise RecipeNotFound(
                    f"there is no recipe {recipe_code} v{recipe_version}",
                    {"recipe_code": recipe_code, "recipe_version": recipe_version},
                )
            check_startable(version, code=recipe_code, number=recipe_version, now=datetime.now(UTC))
            assert version is not None  # an effective version has a history
            row = get_revision(
                session=session,
                code=recipe_code,
                version=recipe_version,
                content_hash=version.content_hash,
            )
            if row is None:
                raise RecipeMissing(
                    f"the approved content of {recipe_code} v{recipe_version} is missing"
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
            planned_quantity=planned_in_recipe_unit,
            created_by=actor.user_id,
            created_at=datetime.now(UTC),
            recipe_code=recipe.code,
            recipe_version=recipe.version,
            recipe_hash=recipe_hash,
            product_code=recipe.product.code,
        )
        try:
            handle = await self.client.start_workflow(
                BatchWorkflow.run,
                StartBatch(header=header, recipe=recipe, station=actor.station),
                id=header.batch_id,
                task_queue=self.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                search_attributes=search_attributes_for(recipe.code, BatchStatus.IN_PROGRESS),
            )
        except WorkflowAlreadyStartedError:
            raise _batch_exists(batch_number) from None
        await answered(handle.execute_update(BatchWorkflow.opened))
        return header.batch_id

    async def update(
        self, batch_id: str, update: UpdateMethodMultiParam[[BatchWorkflow, P], R], arg: P
    ) -> R:
        """Send ``update`` with ``arg`` to the batch's workflow and return what it answers."""
        await ensure_temporal(self.client)
        handle: WorkflowHandle[BatchWorkflow, BatchOutcome] = self.client.get_workflow_handle(
            batch_id
        )
        return await _answer(
            handle.execute_update(update, arg),
            lambda: self._batch_ended(batch_id),
            RPCStatusCode.NOT_FOUND,
        )

    async def deviation_update(
        self,
        batch_id: str,
        deviation_id: str,
        update: UpdateMethodMultiParam[[DeviationWorkflow, P], R],
        arg: P,
    ) -> R:
        """Send ``update`` to the deviation's workflow, once the store says the deviation belongs
        to this batch (a deviation of another batch is not reachable through this one); a
        deviation whose workflow has ended (dispositioned, or its batch ended) is
        ``deviation_state``."""
        await ensure_temporal(self.client)
        stored_deviation(engine=self.engine, batch_id=batch_id, deviation_id=deviation_id)
        handle: WorkflowHandle[DeviationWorkflow, Deviation] = self.client.get_workflow_handle(
            deviation_id
        )
        return await _answer(
            handle.execute_update(update, arg),
            lambda: self._deviation_ended(batch_id, deviation_id),
            RPCStatusCode.NOT_FOUND,
            RPCStatusCode.FAILED_PRECONDITION,
        )

    async def recipe_update(
        self, code: str, update: UpdateMethodMultiParam[[RecipeWorkflow, P], R], arg: P
    ) -> R:
        """Send ``update`` to the workflow of the recipe ``code`` (started on first use: it
        keeps every version of the code) and return what it answers."""
        await ensure_temporal(self.client)
        workflow_id = recipe_workflow_id(code)
        try:
            await self.client.start_workflow(
                RecipeWorkflow.run,
                StartRecipe(code=code),
                id=workflow_id,
                task_queue=self.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            )
        except WorkflowAlreadyStartedError:
            pass  # it runs as long as the code exists
        handle: WorkflowHandle[RecipeWorkflow, None] = self.client.get_workflow_handle(workflow_id)
        return await answered(handle.execute_update(update, arg))

    def _batch_ended(self, batch_id: str) -> Refusal:
        """Temporal knows no running batch by that id: whether it ever existed is the store's."""
        with session_scope(self.engine) as session:
            status = stored_batch(session=session, batch_id=batch_id).status
        return BatchNotActive(
            f"batch {batch_id} is {status.replace('_', ' ')} and takes no more step records",
            {"status": status},
        )

    def _deviation_ended(self, batch_id: str, deviation_id: str) -> Refusal:
        dev = stored_deviation(engine=self.engine, batch_id=batch_id, deviation_id=deviation_id)
        return DeviationStateError(
            f"deviation {deviation_id} is {dev.stage.value} and takes no more changes",
            {"deviation_id": deviation_id, "stage": dev.stage.value},
        )


async def answered(call: Awaitable[R]) -> R:
    """Await one workflow update; its refusal (an update failure whose type is a refusal code, the
    workflow's or a store activity's) becomes that ``Refusal``; no answer in time becomes
    ``workflow_unavailable``."""
    try:
        return await asyncio.wait_for(call, ANSWER_TIMEOUT_SECONDS)
    # Temporal's client answers the cancellation of a pending update (wait_for's, at the timeout)
    # with its own error, which Python 3.11's wait_for raises instead of TimeoutError.
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
        raise WorkflowUnavailable(
            "the batch did not answer in time: is an ebr "
            "worker running? Nothing was recorded unless the batch shows it."
        ) from None
    except WorkflowUpdateFailedError as exc:
        raise _refusal_of(exc) from None


async def _answer(call: Awaitable[R], ended: Callable[[], Refusal], *statuses: RPCStatusCode) -> R:
    """``answered``, with a workflow that is not running (``statuses``) refused as ``ended`` says."""
    try:
        return await answered(call)
    except RPCError as exc:
        if exc.status not in statuses:
            raise
        raise ended() from None


def _refusal_of(exc: WorkflowUpdateFailedError) -> Refusal:
    cause = exc.cause
    if isinstance(cause, ActivityError) and isinstance(cause.cause, ApplicationError):
        cause = cause.cause  # refused by a store activity (bad signature, conflict)
    if isinstance(cause, ApplicationError) and cause.type:
        info = cause.details[0] if cause.details else {}
        details = info.get("details") if isinstance(info, dict) else None
        kind = info.get("kind") if isinstance(info, dict) else None
        return Refusal.of(cause.type, cause.message, details, kind=kind)
    return UpdateFailed(f"the batch could not record this: {exc}")


def _batch_exists(batch_number: str) -> Refusal:
    return BatchExists(
        f"batch number {batch_number} is already used", {"batch_number": batch_number}
    )
