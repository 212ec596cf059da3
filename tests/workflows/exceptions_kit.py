"""What the exception-branch tests share: a signed batch started at the test server's time, a
desk that signs at that time, and readers of what the store holds."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from ebr.domain.batch import Actor, BatchState, BatchStatus
from ebr.domain.deviations import Deviation
from ebr.domain.meanings import Meaning
from ebr.domain.recipe import Recipe
from ebr.domain.review import ExceptionReport, exception_report
from ebr.domain.roles import Role
from ebr.domain.subjects import Subject, batch_subject, deviation_subject
from ebr.store.batch_events import BatchEvents, load_batch_events
from ebr.store.db import session_scope
from ebr.store.keys import active_key
from ebr.store.signed_records import list_batch_records, record_of
from signatures.keys import WrappedKey, unwrap_key
from tests.chains import Chains, SigningUser, approve_recipe
from tests.factories import header_for
from tests.signing import Desk
from tests.temporal_envs import start_time_skipping
from tests.workflows.conftest import Plant
from workflows.batch_workflow import BatchWorkflow, search_attributes_for
from workflows.deviation_workflow import DeviationWorkflow
from workflows.messages import (
    BatchOutcome,
    DeviationChanged,
    InvestigateInput,
    MarkReviewedInput,
    Recorded,
    StartBatch,
)

Handle = WorkflowHandle[BatchWorkflow, BatchOutcome]
QA_2 = Actor(user_id="rita", full_name="Rita Release", roles=(Role.QA,), station="qa-office")


@dataclass
class Bench:
    """A signed batch on the test server, with a desk that signs at the server's time."""

    plant: Plant
    env: WorkflowEnvironment
    desk: Desk
    recipe: Recipe
    handle: Handle

    @property
    def batch_id(self) -> str:
        return self.handle.id

    async def now(self) -> datetime:
        """The test server's present, never before the wall clock: the server's clock may start a
        few milliseconds behind this process's, where the signers' certificates were just issued
        (a signature dated before its certificate is refused, rightly)."""
        return max(await self.env.get_current_time(), datetime.now(UTC))

    async def sign(
        self,
        step_id: str,
        actor: Actor,
        meaning: Meaning = Meaning.PERFORMED,
        entered: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Recorded:
        action = self.desk.action(
            self.recipe,
            self.batch_id,
            step_id,
            actor,
            meaning,
            entered,
            at=await self.now(),
            **kwargs,
        )
        return await self.handle.execute_update(BatchWorkflow.sign, action)

    async def decide(
        self, subject: Subject, actor: Actor, meaning: Meaning, **kwargs: Any
    ) -> Recorded:
        action = self.desk.decision(
            self.recipe, self.batch_id, subject, actor, meaning, at=await self.now(), **kwargs
        )
        return await self.handle.execute_update(BatchWorkflow.sign, action)

    async def release(self, actor: Actor = QA_2) -> Recorded:
        return await self.decide(batch_subject(self.batch_id), actor, Meaning.RELEASED)

    async def dispose(
        self,
        dev_id: str,
        actor: Actor,
        decision: str,
        reason: str = "assessed",
        rework: tuple[str, ...] = (),
    ) -> Recorded:
        detail = {"decision": decision, "rework_steps": list(rework), "capa_ref": None}
        return await self.decide(
            deviation_subject(dev_id), actor, Meaning.APPROVED, reason=reason, detail=detail
        )

    def deviation_handle(self, dev_id: str) -> WorkflowHandle[DeviationWorkflow, Deviation]:
        return self.plant.client.get_workflow_handle(dev_id, result_type=Deviation)

    async def investigate(self, dev_id: str, actor: Actor, *steps: str) -> DeviationChanged:
        request = InvestigateInput(
            actor=actor, root_cause="scale drift", impact="one weighing", affected_steps=steps
        )
        return await self.deviation_handle(dev_id).execute_update(
            DeviationWorkflow.investigate, request
        )

    async def classify(
        self, dev_id: str, actor: Actor, classification: str, reason: str | None = "assessed"
    ) -> Recorded:
        """QA's signed classification (meaning ``classified``), recorded by the batch."""
        return await self.decide(
            deviation_subject(dev_id),
            actor,
            Meaning.CLASSIFIED,
            reason=reason,
            detail={"classification": classification},
        )

    async def mark(self, exception_id: str, actor: Actor) -> None:
        await self.handle.execute_update(
            BatchWorkflow.mark_reviewed, MarkReviewedInput(actor=actor, exception_id=exception_id)
        )

    async def mark_all(self, actor: Actor) -> None:
        for item in self.review().exceptions:
            if item.id not in {m.exception_id for m in self.events().marks}:
                await self.mark(item.id, actor)

    async def state(self) -> BatchState:
        return await self.handle.query(BatchWorkflow.state)

    async def status(self) -> BatchStatus:
        return (await self.state()).status

    def events(self) -> BatchEvents:
        with session_scope(self.plant.engine) as session:
            return load_batch_events(session=session, batch_id=self.batch_id)

    def review(self) -> ExceptionReport:
        """The review as a reader of the store builds it."""
        events = self.events()
        with session_scope(self.plant.engine) as session:
            records = [
                record_of(r) for r in list_batch_records(session=session, batch_id=self.batch_id)
            ]
        return exception_report(records, events.deviations, events.holds, events.breaches)

    def records(self) -> list[tuple[str, int, str]]:
        with session_scope(self.plant.engine) as session:
            rows = list_batch_records(session=session, batch_id=self.batch_id)
            return [(r.subject_id, r.execution, r.meaning) for r in rows]


async def open_bench(
    plant: Plant,
    env: WorkflowEnvironment,
    desk: Desk,
    recipe: Recipe,
    prefix: str = "B-EXC",
    updates_per_run: int = 500,
) -> Bench:
    """A signed batch whose start (and so its clocks) is the test server's present."""
    number = f"{prefix}-{uuid.uuid4().hex[:6]}"
    plant.started.append(number)
    # Never before the wall clock: the recipe's approvers are certified from now.
    now = max(await env.get_current_time(), datetime.now(UTC))
    now = approved(plant, desk, recipe, now)
    header = header_for(recipe, number).model_copy(update={"created_at": now})
    handle: Handle = await plant.client.start_workflow(
        BatchWorkflow.run,
        StartBatch(header=header, recipe=recipe, updates_per_run=updates_per_run),
        id=number,
        task_queue=plant.task_queue,
        search_attributes=search_attributes_for(recipe.code, BatchStatus.IN_PROGRESS),
    )
    return Bench(plant=plant, env=env, desk=desk, recipe=recipe, handle=handle)


async def refused(call: Any) -> ApplicationError:
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await call
    cause = info.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def approved(plant: Plant, desk: Desk, recipe: Recipe, at: datetime) -> datetime:
    """The recipe approved as change control approves it (the report reads it from the store,
    and ``ebr verify`` holds each batch to a version effective at its start)."""
    chains = Chains(plant.engine, desk.trust)
    signers = ("rx-author", "rx-reviewer", "rx-approver")
    for user_id in signers:
        with session_scope(plant.engine) as session:
            row = active_key(session=session, user_id=user_id)
        if row is None:
            chains.enrol(user_id, user_id.replace("-", " ").title())
        else:  # enrolled for an earlier bench of this store: ``enrol`` wrapped it so
            key = unwrap_key(WrappedKey.from_json(row.wrapped), f"pw-{user_id}")
            chains.users[user_id] = SigningUser(user_id, user_id, key, row.key_id)
    moment = max(at, datetime.now(UTC))  # not before the keys just certified
    approve_recipe(chains, recipe, signers, at=moment)
    return moment


async def fresh_clock() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server for one test (its ``workflow_env`` fixture): these tests sign at
    the server's time, which awaiting a result may move years ahead, past the certificates'
    validity."""
    env = await start_time_skipping()
    yield env
    await env.shutdown()
