"""Fixtures for workflow tests: a migrated SQLite store and a worker on a fresh task queue."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from ebr.domain.batch import Actor, BatchStatus
from ebr.domain.meanings import Meaning
from ebr.domain.recipe import Recipe
from ebr.store.batch_events import load_batch_events
from ebr.store.db import make_engine, migrate, session_scope
from ebr.worker import build_worker
from tests.factories import header_for
from tests.signing import Desk, desk_for
from workflows.batch_workflow import BatchWorkflow, search_attributes_for
from workflows.messages import BatchOutcome, Recorded, StartBatch


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'ebr.db'}"
    migrate(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@dataclass
class Plant:
    """A running worker, a way to start batches on it, and a desk that signs for them."""

    client: Client
    task_queue: str
    engine: Engine
    desk: Desk
    started: list[str] = field(default_factory=list)
    recipes: dict[str, Recipe] = field(default_factory=dict)

    async def stop_everything(self) -> None:
        """Terminate what a test left running (batches and their deviations): on the shared
        time-skipping server a timer of a workflow whose worker is gone would stop time."""
        with session_scope(self.engine) as session:
            devs = [
                d.id
                for batch_id in self.started
                for d in load_batch_events(session=session, batch_id=batch_id).deviations
            ]
        for workflow_id in [*self.started, *devs]:
            try:
                await self.client.get_workflow_handle(workflow_id).terminate("test over")
            except RPCError:
                pass  # already closed

    async def start(
        self,
        recipe: Recipe,
        batch_number: str | None = None,
        *,
        updates_per_run: int = 500,
    ) -> WorkflowHandle[BatchWorkflow, BatchOutcome]:
        number = batch_number or f"B-{uuid.uuid4().hex[:10]}"
        self.started.append(number)
        self.recipes[number] = recipe
        return await self.client.start_workflow(
            BatchWorkflow.run,
            StartBatch(
                header=header_for(recipe, number), recipe=recipe, updates_per_run=updates_per_run
            ),
            id=number,
            task_queue=self.task_queue,
            search_attributes=search_attributes_for(recipe.code, BatchStatus.IN_PROGRESS),
        )

    async def sign(
        self,
        handle: WorkflowHandle[BatchWorkflow, BatchOutcome],
        step_id: str,
        actor: Actor,
        meaning: Meaning = Meaning.PERFORMED,
        entered: dict[str, Any] | None = None,
        **changes: Any,
    ) -> Recorded:
        """Sign a step record as the API would (on the chain's head) and send it."""
        action = self.desk.action(
            self.recipes[handle.id], handle.id, step_id, actor, meaning, entered, **changes
        )
        return await handle.execute_update(BatchWorkflow.sign, action)


@pytest.fixture
def desk(engine: Engine, tmp_path: Path) -> Desk:
    return desk_for(engine, tmp_path / "data")


@pytest.fixture
async def plant(
    workflow_env: WorkflowEnvironment, engine: Engine, desk: Desk
) -> AsyncIterator[Plant]:
    task_queue = f"tq-{uuid.uuid4().hex[:8]}"
    async with build_worker(workflow_env.client, engine, task_queue=task_queue, trust=desk.trust):
        plant = Plant(client=workflow_env.client, task_queue=task_queue, engine=engine, desk=desk)
        yield plant
        await plant.stop_everything()
