"""``api.commands.answered``: an update the workflow does not answer in time is refused in words
(``workflow_unavailable``), never a traceback."""

from __future__ import annotations

import asyncio

import pytest
from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError

from api import commands
from api.refusals import WorkflowUnavailable


async def test_an_update_not_answered_in_time_is_refused_in_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(commands, "ANSWER_TIMEOUT_SECONDS", 0.05)

    async def never_answered() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:  # what Temporal's client does when its update is cancelled
            raise WorkflowUpdateRPCTimeoutOrCancelledError() from None

    with pytest.raises(WorkflowUnavailable) as refused:
        await commands.answered(never_answered())
    assert "did not answer in time" in refused.value.message


async def test_an_update_that_hangs_without_a_word_is_refused_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(commands, "ANSWER_TIMEOUT_SECONDS", 0.05)
    with pytest.raises(WorkflowUnavailable):
        await commands.answered(asyncio.sleep(10))
