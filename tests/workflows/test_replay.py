"""Every committed history replays on today's BatchWorkflow: running batches survive code changes."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workflows.batch import EXCEPTIONS_PATCH, BatchWorkflow
from workflows.deviation import DeviationWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_there_are_histories_to_replay() -> None:
    assert HISTORIES, "record one with: python -m tests.workflows.record_histories"


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    replayer = Replayer(
        workflows=[BatchWorkflow, DeviationWorkflow], data_converter=pydantic_data_converter
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None


def test_decided_batches_carry_the_patch_marker_and_older_ones_do_not() -> None:
    """The v4 histories took the new path (a patch marker); v1-v3 replay without one."""
    for path in HISTORIES:
        if path.stem.endswith("-deviation"):
            continue
        marked = EXCEPTIONS_PATCH in patches_of(path)
        assert marked is path.stem.startswith("v4"), path.stem


def patches_of(path: Path) -> set[str]:
    """The ids of the patch markers a history recorded."""
    found = set()
    for event in json.loads(path.read_text())["events"]:
        attrs = event.get("markerRecordedEventAttributes")
        if attrs and attrs["markerName"] == "core_patch":
            for payload in attrs["details"]["patch-data"]["payloads"]:
                found.add(json.loads(base64.b64decode(payload["data"]))["id"])
    return found
