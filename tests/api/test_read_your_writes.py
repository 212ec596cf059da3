"""A person who acts sees the effect on the next read, even on a machine busy on every core.

A deviation's classification changes the batch through another workflow (the deviation's): the
batch places or lifts the deviation's hold. The classification answers only once the batch has
applied it, so the batch read right after it shows the hold placed or lifted, never the state
before. The machine is kept busy (a process spinning on each core) so that a race shows if there
is one. Over HTTP the race is seldom seen even without the guarantee (a response and a new request
take longer than the batch takes); ``tests/workflows/test_deviations.py`` reads the store the
moment the update answers, and fails at once without it."""

from __future__ import annotations

import pytest

from tests.api.decisions import batch, classify, complete_with, deviations, investigate
from tests.api.harness import Ebr
from tests.api.steps import DEMO_SHORT, run_steps, started
from tests.cpu_load import cores_busy

pytestmark = pytest.mark.e2e

ROUNDS = 2


async def critical_out_of_limits(ebr: Ebr) -> tuple[str, str]:
    """A batch held by the deviation a critical value out of limits opened."""
    batch_id = await started(ebr)
    await run_steps(ebr, batch_id, stop=1)
    step_id, user, values, _ = DEMO_SHORT[1]
    heavy = {**values, "powder-mass": "10.2"}
    answer = await complete_with(ebr, user, batch_id, step_id, heavy, "scale drift")
    assert answer.status_code == 200, answer.text
    [dev] = await deviations(ebr, batch_id)
    assert (await batch(ebr, batch_id))["status"] == "on_hold"
    return batch_id, dev["id"]


async def test_a_classification_shows_on_the_batch_read_right_after_it(ebr: Ebr) -> None:
    with cores_busy() as spinning:
        assert spinning >= 2
        for _ in range(ROUNDS):
            batch_id, dev_id = await critical_out_of_limits(ebr)
            assert (await investigate(ebr, batch_id, dev_id)).status_code == 200
            answer = await classify(ebr, batch_id, dev_id, classification="minor")
            assert answer.status_code == 200, answer.text
            shown = await batch(ebr, batch_id)
            assert shown["status"] == "in_progress", "the minor deviation's hold is lifted"
            holds = (await ebr.get("quinn", f"/api/batches/{batch_id}/review")).json()
            assert holds["status"] == "in_progress"


async def test_a_major_classification_of_an_unheld_deviation_holds_at_once(ebr: Ebr) -> None:
    with cores_busy():
        for _ in range(ROUNDS):
            batch_id = await started(ebr)
            opened = await ebr.post(
                "olga",
                f"/api/batches/{batch_id}/deviations",
                json={"description": "glove torn during dispensing"},
            )
            assert opened.status_code == 201, opened.text
            dev_id = opened.json()["id"]
            assert (await investigate(ebr, batch_id, dev_id)).status_code == 200
            answer = await classify(ebr, batch_id, dev_id, classification="major")
            assert answer.status_code == 200, answer.text
            assert (await batch(ebr, batch_id))["status"] == "on_hold"
