"""The recipe's time limits as durable timers, over simulated hours and days (time skipping):
a minimum duration refuses early completion, a maximum duration and a maximum hold time between
two steps open a deviation when they pass, with nobody online."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment

from ebr.domain.batch import BatchStatus
from ebr.domain.deviations import Origin
from ebr.domain.recipe import Recipe
from ebr.domain.recipe_loading import recipe_from_data
from ebr.domain.timing import TimerKind
from ebr.worker import build_worker
from tests.factories import OPERATOR, SUPERVISOR, _step
from tests.signing import Desk
from tests.workflows.conftest import Plant
from tests.workflows.exceptions_kit import Bench, fresh_clock, minutes, open_bench, refused
from workflows.batch_workflow import BatchWorkflow
from workflows.deviation_workflow import DeviationWorkflow
from workflows.messages import InvestigateInput, OpenDeviationInput

workflow_env = pytest.fixture(fresh_clock)


def timed_recipe() -> Recipe:
    """Mix 15 to 60 minutes; granulate; dry within 4 hours of granulation; pack."""
    mix = _step("mix", "instruction", inputs=[])
    mix |= {"min_duration_minutes": 15, "max_duration_minutes": 60}
    dry = _step("dry", "instruction", inputs=[])
    dry |= {"complete_within": {"after": "granulate", "minutes": 240}}
    steps: list[dict[str, Any]] = [
        mix,
        _step("granulate", "instruction", inputs=[]),
        dry,
        _step("pack", "instruction", inputs=[]),
    ]
    return recipe_from_data(
        {
            "code": "TEST-TIMED",
            "version": 1,
            "name": "Timed process",
            "product": {"code": "TIMED-1", "name": "Timed product"},
            "batch_size": {"value": "10", "unit": "kg"},
            "procedure": [
                {
                    "id": "main",
                    "name": "Main",
                    "operations": [{"id": "op", "name": "Op", "steps": steps}],
                }
            ],
        }
    )


RECIPE = timed_recipe()


async def timer_deviations(bench: Bench) -> list[tuple[str | None, str]]:
    return [
        (d.step_id, d.description) for d in bench.events().deviations if d.origin is Origin.TIMER
    ]


async def test_an_early_completion_is_refused_with_the_time_left(
    plant: Plant, workflow_env: WorkflowEnvironment, desk: Desk
) -> None:
    bench = await open_bench(plant, workflow_env, desk, RECIPE)
    early = await refused(bench.sign("mix", OPERATOR))
    assert early.type == "too_early"
    left = early.details[0]["details"]["seconds_left"]
    assert 880 <= left <= 900, left
    assert "15 minutes" in early.message
    await workflow_env.sleep(minutes(16))
    recorded = await bench.sign("mix", OPERATOR)
    assert recorded.record.step_id == "mix"
    assert bench.events().breaches == []


async def test_a_maximum_duration_passed_opens_a_deviation_at_its_time(
    plant: Plant, workflow_env: WorkflowEnvironment, desk: Desk
) -> None:
    bench = await open_bench(plant, workflow_env, desk, RECIPE)
    started = await bench.now()
    await workflow_env.sleep(minutes(59))
    assert bench.events().breaches == []
    await workflow_env.sleep(minutes(3))
    [breach] = bench.events().breaches
    due = started + minutes(60)
    assert breach.deadline.kind is TimerKind.MAX_DURATION
    assert abs((breach.deadline.due_at - due).total_seconds()) < 2
    assert timedelta(0) <= breach.at - breach.deadline.due_at < timedelta(seconds=2)
    assert await timer_deviations(bench) == [("mix", breach.deadline.description)]
    await bench.sign("mix", OPERATOR)  # late, but recorded as it happened; no second breach
    assert len(bench.events().breaches) == 1
    assert any(e.kind.value == "timer_breach" for e in bench.review().exceptions)


async def test_a_hold_time_between_steps_is_watched_over_days(
    plant: Plant, workflow_env: WorkflowEnvironment, desk: Desk
) -> None:
    bench = await open_bench(plant, workflow_env, desk, RECIPE)
    await workflow_env.sleep(minutes(20))
    await bench.sign("mix", OPERATOR)
    granulated = (await bench.sign("granulate", OPERATOR)).record.recorded_at
    await workflow_env.sleep(timedelta(hours=3, minutes=59))
    assert bench.events().breaches == []
    await workflow_env.sleep(timedelta(days=3))
    [breach] = bench.events().breaches
    assert breach.deadline.kind is TimerKind.MAX_HOLD
    assert breach.deadline.step_id == "dry"
    assert breach.deadline.due_at == granulated + minutes(240)
    assert timedelta(0) <= breach.at - breach.deadline.due_at < timedelta(seconds=2)
    [(step_id, text)] = await timer_deviations(bench)
    assert step_id == "dry" and "within 240 minutes of step 'granulate'" in text


async def test_a_dry_completed_in_time_breaches_nothing(
    plant: Plant, workflow_env: WorkflowEnvironment, desk: Desk
) -> None:
    bench = await open_bench(plant, workflow_env, desk, RECIPE)
    await workflow_env.sleep(minutes(20))
    await bench.sign("mix", OPERATOR)
    await bench.sign("granulate", OPERATOR)
    await workflow_env.sleep(timedelta(hours=3))
    await bench.sign("dry", OPERATOR)
    await workflow_env.sleep(timedelta(days=2))
    assert bench.events().breaches == []


async def test_a_deviation_workflow_survives_a_worker_restart(
    dev_env: WorkflowEnvironment, engine: Engine, desk: Desk
) -> None:
    """On the real dev server: the batch and its deviation run on a worker that stops; a new
    worker carries on with both from their histories, nothing of them kept in a worker's memory."""
    own = Plant(
        client=dev_env.client, task_queue=f"tq-{uuid.uuid4().hex[:8]}", engine=engine, desk=desk
    )
    async with build_worker(own.client, engine, task_queue=own.task_queue, trust=desk.trust):
        bench = await open_bench(own, dev_env, desk, RECIPE)
        opened = await bench.handle.execute_update(
            BatchWorkflow.open_deviation,
            OpenDeviationInput(actor=OPERATOR, description="mixer lid left open", step_id="mix"),
        )
    async with build_worker(own.client, engine, task_queue=own.task_queue, trust=desk.trust):
        handle = bench.deviation_handle(opened.deviation.id)
        changed = await handle.execute_update(
            DeviationWorkflow.investigate,
            InvestigateInput(actor=SUPERVISOR, root_cause="lid latch worn", impact="none"),
        )
        assert changed.deviation.investigation is not None
        assert changed.batch_status is BatchStatus.IN_PROGRESS  # answered once the batch applied it
        assert [d.stage.value for d in bench.events().deviations] == ["investigated"]
        await bench.handle.terminate("test over")
