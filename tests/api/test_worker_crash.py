"""Workers die: a batch survives a SIGKILLed worker process and records nothing twice.

The workers here are real ``ebr worker`` processes; the API runs in this process with no worker
of its own, so while no worker process is alive nothing can be recorded.
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from ebr.store.db import session_scope
from ebr.store.signed_records import list_batch_records
from tests.api.harness import Ebr, running_ebr, start_worker_process
from tests.api.steps import DEMO_SHORT, complete, run_steps, started

pytestmark = pytest.mark.e2e

# The step whose completion is in flight when the worker dies: "mix", the fourth.
MIX_INDEX = 3
MIX, MIX_USER, MIX_VALUES, _ = DEMO_SHORT[MIX_INDEX]


@pytest.fixture(scope="module")
async def api_only(
    dev_env: WorkflowEnvironment, store_url: str, data_dir: Path, ebr: Ebr
) -> AsyncIterator[Ebr]:
    """The API alone: its task queue is served only by the worker processes a test starts.
    (``ebr`` first: the store's recipes are approved through its worker.)"""
    async with running_ebr(
        temporal=dev_env.client, store_url=store_url, data_dir=data_dir, in_process_worker=False
    ) as app:
        yield app


def records_of(ebr: Ebr, batch_id: str) -> tuple[Counter[tuple[str, str]], list[int]]:
    """How many records each (step, meaning) has, and the seq numbers in order."""
    with session_scope(ebr.engine) as session:
        rows = list_batch_records(session=session, batch_id=batch_id)
    return Counter((r.subject_id, r.meaning) for r in rows), [r.seq for r in rows]


async def mix_answer(ebr: Ebr, batch_id: str, pending: asyncio.Task[httpx.Response]) -> None:
    """The in-flight completion of "mix" succeeds (or, if the API gave up waiting, its resend)."""
    answer = await pending
    if answer.status_code == 503:
        assert answer.json()["error"] == "workflow_unavailable"
        answer = await complete(ebr, MIX_USER, batch_id, MIX, MIX_VALUES)
    assert answer.status_code == 200, answer.text
    assert answer.json()["record"]["step_id"] == MIX


async def finish_and_check(ebr: Ebr, batch_id: str) -> None:
    await run_steps(ebr, batch_id, MIX_INDEX + 1)
    detail = (await ebr.get("quinn", f"/api/batches/{batch_id}")).json()
    assert detail["status"] == "awaiting_review"
    assert detail["steps_done"] == detail["steps_total"] == len(DEMO_SHORT)
    counts, seqs = records_of(ebr, batch_id)
    assert set(counts.values()) == {1}, counts
    verified = sum(1 for *_, verifier in DEMO_SHORT if verifier)
    assert len(counts) == len(DEMO_SHORT) + verified
    assert seqs == list(range(1, len(seqs) + 1))


# The store sees only ordinary writes here, so one backend is enough; the in-flight request waits
# out the server's 10 s workflow task timeout (the dead worker's poll took the task), on any store.
@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
async def test_a_worker_killed_between_steps_is_replaced_and_the_batch_finishes(
    api_only: Ebr, tmp_path: Path
) -> None:
    first = start_worker_process(api_only, tmp_path / "worker-1.log")
    try:
        batch_id = await started(api_only)
        await run_steps(api_only, batch_id, 0, MIX_INDEX)
    finally:
        first.kill()
    pending = asyncio.create_task(complete(api_only, MIX_USER, batch_id, MIX, MIX_VALUES))
    await asyncio.sleep(1.0)
    assert not pending.done(), "with no worker alive, nothing can answer"
    assert records_of(api_only, batch_id)[0][(MIX, "performed")] == 0

    second = start_worker_process(api_only, tmp_path / "worker-2.log")
    try:
        await mix_answer(api_only, batch_id, pending)
        await finish_and_check(api_only, batch_id)
    finally:
        second.kill()


async def test_a_worker_killed_after_the_store_commit_but_before_temporal_heard(
    api_only: Ebr, tmp_path: Path
) -> None:
    """The activity committed, its result was lost: the next worker must not write it again."""
    crashing = start_worker_process(api_only, tmp_path / "crashing.log", crash_after_step=MIX)
    try:
        batch_id = await started(api_only)
        await run_steps(api_only, batch_id, 0, MIX_INDEX)
        pending = asyncio.create_task(complete(api_only, MIX_USER, batch_id, MIX, MIX_VALUES))
        assert await crashing.exited(timeout=30) == -signal.SIGKILL, crashing.output()
    finally:
        crashing.kill()
    assert records_of(api_only, batch_id)[0][(MIX, "performed")] == 1, "committed before the crash"
    assert not pending.done()

    replacement = start_worker_process(api_only, tmp_path / "worker.log")
    try:
        await mix_answer(api_only, batch_id, pending)
        await finish_and_check(api_only, batch_id)
    finally:
        replacement.kill()
