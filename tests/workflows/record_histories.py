"""Record workflow histories for the replay tests: ``python -m tests.workflows.record_histories``.

Run it when BatchWorkflow's behaviour changes on purpose, and commit the new file beside the old
ones: the old files must keep replaying, which is what proves running batches survive the change.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHandle

from ebr.domain.batch import Actor, BatchStatus
from ebr.domain.records import Meaning
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


if __name__ == "__main__":
    print(asyncio.run(record(sys.argv[1] if len(sys.argv) > 1 else "v1-whole-batch")))
