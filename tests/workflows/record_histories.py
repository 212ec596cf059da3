"""Record workflow histories for the replay tests: ``python -m tests.workflows.record_histories``.

Until ebr's first tagged release, workflows change freely: after an intended change, run this and
commit the histories it writes in place of the old ones (docs/workflow-versioning.md). From the
first release on, a change to a workflow's behaviour is versioned (``workflow.patched``), and the
histories of every released version are kept and must keep replaying.

Two batches are recorded, each with the histories of its deviations' workflows:

- ``released-batch``: a supervisor's redline adding a step is proposed and approved (signed); a
  critical value out of limits opens a deviation that holds the batch; it is investigated,
  classified major (signed, below the rules' class: an exception of the review) and accepted
  (signed); the step is verified, its value corrected (signed) and verified again; a person's hold is
  placed and lifted (signed); a step is refused on hold; the added step is done in its place; QA
  marks every exception and a second QA releases (signed).
- ``timed-batch``: a step's maximum duration passes (a timer's deviation) and QA rejects the batch
  (signed).
"""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path

from ebr.domain.batch import Actor
from ebr.domain.meanings import Meaning
from ebr.domain.redline_changes import RedlineContent
from ebr.domain.subjects import batch_subject, hold_subject, redline_subject
from ebr.store.db import make_engine, migrate
from ebr.worker import build_worker
from tests.factories import OPERATOR, QA, SUPERVISOR, small_recipe
from tests.signing import desk_for
from tests.temporal_envs import start_time_skipping
from tests.workflows.conftest import Plant
from tests.workflows.exceptions_kit import QA_2, Bench, open_bench
from tests.workflows.test_timers import timed_recipe
from workflows.batch_workflow import BatchWorkflow
from workflows.messages import PlaceHoldInput

HISTORIES = Path(__file__).resolve().parent / "histories"
LABELS = ("released-batch", "timed-batch")


async def record(label: str) -> list[Path]:
    """Run the batch ``label`` names on a time-skipping server; write its histories."""
    timed = label == "timed-batch"
    env = await start_time_skipping()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/ebr.db"
        migrate(url)
        engine = make_engine(url)
        desk = desk_for(engine, Path(tmp) / "data")
        task_queue = f"record-{uuid.uuid4().hex[:6]}"
        async with build_worker(env.client, engine, task_queue=task_queue, trust=desk.trust):
            plant = Plant(client=env.client, task_queue=task_queue, engine=engine, desk=desk)
            recipe = timed_recipe() if timed else small_recipe()
            bench: Bench = await open_bench(plant, env, desk, recipe, prefix=f"B-{label}")
            if timed:
                await env.sleep(timedelta(minutes=61))
                await bench.decide(
                    batch_subject(bench.batch_id), QA, Meaning.REJECTED, reason="mixing overran"
                )
            else:
                await released(bench, QA_2)
            await bench.handle.result()
            histories = [("", await bench.handle.fetch_history())]
            for dev in bench.events().deviations:
                child = env.client.get_workflow_handle(dev.id)
                histories.append(("-deviation", await child.fetch_history()))
        engine.dispose()
    await env.shutdown()
    paths = []
    for suffix, history in histories:
        path = HISTORIES / f"{label}{suffix}.json"
        path.write_text(history.to_json())
        paths.append(path)
    return paths


SAMPLING = RedlineContent.model_validate(
    {
        "changes": [
            {
                "kind": "add_step",
                "after": "mixer",
                "step": {
                    "id": "sample",
                    "name": "Take a sample",
                    "instructions": "Take a 5 g sample for the lab.",
                    "kind": "instruction",
                },
            }
        ]
    }
)


async def released(bench: Bench, releaser: Actor) -> None:
    await bench.sign("read-sop", OPERATOR)
    redline = redline_subject(f"{bench.batch_id}-RL1")
    await bench.decide(
        redline, SUPERVISOR, Meaning.PROPOSED, reason="lab sample", detail=SAMPLING.detail()
    )
    await bench.decide(
        redline, QA, Meaning.APPROVED, detail={"content_hash": SAMPLING.content_hash()}
    )
    await bench.sign("weigh-api", OPERATOR, entered={"weight": "26.0"}, comment="reads high")
    dev_id = f"{bench.batch_id}-DEV-001"
    await bench.investigate(dev_id, SUPERVISOR, "weigh-api")
    await bench.classify(dev_id, QA, "major")
    await bench.dispose(dev_id, QA, "accept", reason="within process capability")
    await bench.sign("weigh-api", SUPERVISOR, Meaning.VERIFIED)
    await bench.sign("weigh-api", OPERATOR, Meaning.CORRECTED, {"weight": "25.4"}, reason="misread")
    await bench.sign("weigh-api", QA, Meaning.VERIFIED)  # the correction, verified again
    await bench.handle.execute_update(
        BatchWorkflow.place_hold, PlaceHoldInput(actor=SUPERVISOR, reason="HVAC alarm")
    )
    try:  # the refusal on hold is part of the history we want
        await bench.sign("clean-check", OPERATOR, entered={"clean": True})
    except Exception:
        pass
    await bench.decide(
        hold_subject(f"{bench.batch_id}-H2"), QA, Meaning.APPROVED, reason="HVAC back in range"
    )
    await bench.sign("clean-check", OPERATOR, entered={"clean": True})
    await bench.sign("mixer", SUPERVISOR, entered={"speed": "low"})
    await bench.sign("sample", OPERATOR)
    await bench.sign("note", OPERATOR)
    await bench.mark_all(QA)
    await bench.release(releaser)


async def main() -> None:
    for old in HISTORIES.glob("*.json"):
        old.unlink()
    for label in LABELS:
        for path in await record(label):
            print(path)


if __name__ == "__main__":
    asyncio.run(main())
