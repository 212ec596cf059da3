"""Record workflow histories for the replay tests: ``python -m tests.workflows.record_histories``.

Run it when BatchWorkflow's behaviour changes on purpose, and commit the new file beside the old
ones: the old files must keep replaying, which is what proves running batches survive the change.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHandle

from ebr.domain.batch import Actor, BatchStatus
from ebr.domain.records import Meaning
from ebr.domain.signed import BATCH_SUBJECT, hold_subject
from ebr.store.db import make_engine, migrate
from ebr.worker import build_worker
from tests.factories import OPERATOR, QA, SUPERVISOR, header_for, small_recipe
from tests.signing import desk_for
from tests.temporal_envs import start_time_skipping
from tests.workflows.test_batch_workflow import complete, run_whole_batch
from workflows.batch import BatchWorkflow, search_attributes_for
from workflows.messages import (
    BatchOutcome,
    LiftHoldInput,
    PlaceHoldInput,
    SignedAction,
    StartBatch,
)

HISTORIES = Path(__file__).resolve().parent / "histories"


async def record(label: str) -> Path:
    """``v1-*``: unsigned steps as the first release recorded them; ``v2-*``: signed steps;
    ``v3-*``: signed steps with a hold placed, a step refused during it, and the hold lifted."""
    held = label.startswith("v3")
    signed = label.startswith("v2") or held
    env = await start_time_skipping()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/ebr.db"
        migrate(url)
        engine = make_engine(url)
        desk = desk_for(engine, Path(tmp) / "data")
        task_queue = f"record-{uuid.uuid4().hex[:6]}"
        async with build_worker(env.client, engine, task_queue=task_queue, trust=desk.trust):
            recipe = small_recipe()
            handle = await env.client.start_workflow(
                BatchWorkflow.run,
                StartBatch(
                    header=header_for(recipe, f"B-{label}"),
                    recipe=recipe,
                    signatures_required=signed,
                ),
                id=f"B-{label}",
                task_queue=task_queue,
                search_attributes=search_attributes_for(recipe.code, BatchStatus.IN_PROGRESS),
            )
            try:
                await complete(handle, "weigh-api", values={"weight": 25})
            except Exception:  # the refusal is part of the history we want
                pass
            if held:
                await hold_and_lift(handle, desk.action(recipe, handle.id, "read-sop", OPERATOR))
            if signed:
                plan: list[tuple[str, Actor, Meaning, dict[str, Any]]] = [
                    ("read-sop", OPERATOR, Meaning.PERFORMED, {}),
                    ("weigh-api", OPERATOR, Meaning.PERFORMED, {"weight": "25.4"}),
                    ("weigh-api", OPERATOR, Meaning.CORRECTED, {"weight": "25.1"}),
                    ("weigh-api", SUPERVISOR, Meaning.VERIFIED, {}),
                    ("clean-check", OPERATOR, Meaning.PERFORMED, {"clean": True}),
                    ("mixer", SUPERVISOR, Meaning.PERFORMED, {"speed": "low"}),
                    ("note", OPERATOR, Meaning.PERFORMED, {}),
                ]
                for step_id, actor, meaning, entered in plan:
                    reason = "misread" if meaning is Meaning.CORRECTED else None
                    action = desk.action(
                        recipe, handle.id, step_id, actor, meaning, entered, reason=reason
                    )
                    await handle.execute_update(BatchWorkflow.sign, action)
            else:
                await run_whole_batch(handle)
            await handle.result()
            history = await handle.fetch_history()
        engine.dispose()
    await env.shutdown()
    path = HISTORIES / f"{label}.json"
    path.write_text(history.to_json())
    return path


async def hold_and_lift(
    handle: WorkflowHandle[BatchWorkflow, BatchOutcome], refused: SignedAction
) -> None:
    """Hold the batch, have ``refused`` (a signed action) refused on hold, and lift the hold."""
    await handle.execute_update(
        BatchWorkflow.place_hold, PlaceHoldInput(actor=SUPERVISOR, reason="scale alarm")
    )
    try:
        await handle.execute_update(BatchWorkflow.sign, refused)
    except Exception:  # the refusal (batch_on_hold) is part of the history we want
        pass
    await handle.execute_update(
        BatchWorkflow.lift_hold, LiftHoldInput(actor=QA, reason="scale recalibrated")
    )


async def record_decided(label: str) -> list[Path]:
    """``v4-*``: the batch and deviation workflows of a decided batch. ``v4-released-batch``: a
    critical value out of limits opens a deviation that holds the batch; it is investigated,
    classified major and accepted (signed); a person's hold is placed and lifted (signed); QA marks
    every exception and a second QA releases (signed). ``v4-timed-batch``: a step's maximum
    duration passes (a timer's deviation) and QA rejects the batch (signed)."""
    from tests.workflows.conftest import Plant
    from tests.workflows.exceptions_kit import QA_2, open_bench
    from tests.workflows.test_timers import timed_recipe

    timed = "timed" in label
    env = await start_time_skipping()
    paths: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/ebr.db"
        migrate(url)
        engine = make_engine(url)
        desk = desk_for(engine, Path(tmp) / "data")
        task_queue = f"record-{uuid.uuid4().hex[:6]}"
        async with build_worker(env.client, engine, task_queue=task_queue, trust=desk.trust):
            plant = Plant(client=env.client, task_queue=task_queue, engine=engine)
            recipe = timed_recipe() if timed else small_recipe()
            bench = await open_bench(plant, env, desk, recipe, prefix=f"B-{label}")
            if timed:
                await env.sleep(timedelta(minutes=61))
                await bench.decide(BATCH_SUBJECT, QA, Meaning.REJECTED, reason="mixing overran")
            else:
                await released(bench, QA_2)
            await bench.handle.result()
            histories = [("", await bench.handle.fetch_history())]
            for dev in bench.events().deviations:
                child = env.client.get_workflow_handle(dev.id)
                histories.append(("-deviation", await child.fetch_history()))
        engine.dispose()
    await env.shutdown()
    for suffix, history in histories:
        path = HISTORIES / f"{label}{suffix}.json"
        path.write_text(history.to_json())
        paths.append(path)
    return paths


async def released(bench: Any, releaser: Actor) -> None:
    await bench.sign("read-sop", OPERATOR)
    await bench.sign("weigh-api", OPERATOR, entered={"weight": "26.0"}, comment="reads high")
    dev_id = f"{bench.batch_id}-DEV-001"
    await bench.investigate(dev_id, SUPERVISOR, "weigh-api")
    await bench.classify(dev_id, QA, "major")
    await bench.dispose(dev_id, QA, "accept", reason="within process capability")
    await bench.sign("weigh-api", SUPERVISOR, Meaning.VERIFIED)
    await bench.handle.execute_update(
        BatchWorkflow.place_hold, PlaceHoldInput(actor=SUPERVISOR, reason="HVAC alarm")
    )
    await bench.decide(
        hold_subject(f"{bench.batch_id}-H2"), QA, Meaning.APPROVED, reason="HVAC back in range"
    )
    await bench.sign("clean-check", OPERATOR, entered={"clean": True})
    await bench.sign("mixer", SUPERVISOR, entered={"speed": "low"})
    await bench.sign("note", OPERATOR)
    await bench.mark_all(QA)
    await bench.release(releaser)


if __name__ == "__main__":
    label = sys.argv[1] if len(sys.argv) > 1 else "v1-whole-batch"
    if label.startswith("v4"):
        print(asyncio.run(record_decided(label)))
        sys.exit(0)
    print(asyncio.run(record(sys.argv[1] if len(sys.argv) > 1 else "v1-whole-batch")))
