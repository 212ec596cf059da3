"""Every committed history replays on today's workflows: running batches survive code changes.

Until the first tagged release the histories are re-recorded after each intended change
(``python -m tests.workflows.record_histories``; docs/workflow-versioning.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workflows.batch_workflow import BatchWorkflow
from workflows.deviation_workflow import DeviationWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_there_are_histories_to_replay() -> None:
    names = {p.stem for p in HISTORIES}
    assert {"released-batch", "released-batch-deviation", "timed-batch"} <= names, (
        "record them with: python -m tests.workflows.record_histories"
    )


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    replayer = Replayer(
        workflows=[BatchWorkflow, DeviationWorkflow], data_converter=pydantic_data_converter
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None


def test_no_history_carries_a_patch_marker_before_the_first_release() -> None:
    """Pre-release workflows are not versioned: a patch marker would be pre-release baggage."""
    for path in HISTORIES:
        assert '"core_patch"' not in path.read_text(), path.stem
