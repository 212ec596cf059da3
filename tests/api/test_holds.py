"""Holds over HTTP: a supervisor or QA holds a batch with a reason, only QA lifts it."""

from __future__ import annotations

import pytest

from ebr.store.audit import list_audit
from ebr.store.db import session_scope
from tests.api.harness import Ebr
from tests.api.steps import DEMO_SHORT, assert_error, complete, run_steps, started

pytestmark = pytest.mark.e2e


async def test_a_held_batch_refuses_steps_until_qa_lifts_the_hold(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    await run_steps(ebr, batch_id, stop=1)
    answer = await ebr.post("sam", f"/api/batches/{batch_id}/hold", json={"reason": "spill"})
    assert answer.status_code == 200, answer.text
    placed = answer.json()
    assert (placed["placed_by"], placed["reason"], placed["batch_status"]) == (
        "sam",
        "spill",
        "on_hold",
    )
    detail = (await ebr.get("olga", f"/api/batches/{batch_id}")).json()
    assert detail["status"] == "on_hold"

    step_id, user, values, _ = DEMO_SHORT[1]
    body = assert_error(await complete(ebr, user, batch_id, step_id, values), 409, "batch_on_hold")
    assert body["details"]["reason"] == "spill"
    assert "spill" in body["message"]

    lift = await ebr.post(
        "sam", f"/api/batches/{batch_id}/hold/lift", json={"reason": "cleaned up"}
    )
    assert lift.status_code == 403, lift.text
    lift = await ebr.post(
        "quinn", f"/api/batches/{batch_id}/hold/lift", json={"reason": "cleaned up"}
    )
    assert lift.status_code == 200, lift.text
    assert (lift.json()["lifted_by"], lift.json()["batch_status"]) == ("quinn", "in_progress")
    with session_scope(ebr.engine) as session:
        entries = list_audit(session=session, batch_id=batch_id, entity="hold")
        assert [(e.action, e.actor, e.reason) for e in entries] == [
            ("hold_placed", "sam", "spill"),
            ("hold_lifted", "quinn", "cleaned up"),
        ]
    await run_steps(ebr, batch_id, first=1)


async def test_holds_need_a_reason_and_the_right_role(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    answer = await ebr.post("olga", f"/api/batches/{batch_id}/hold", json={"reason": "why not"})
    assert answer.status_code == 403, answer.text
    answer = await ebr.post("quinn", f"/api/batches/{batch_id}/hold", json={"reason": "   "})
    assert_error(answer, 422, "reason_required")
    answer = await ebr.post("quinn", f"/api/batches/{batch_id}/hold/lift", json={"reason": "x"})
    assert_error(answer, 409, "hold_not_active")
    answer = await ebr.post("quinn", "/api/batches/B-NOPE/hold", json={"reason": "x"})
    assert_error(answer, 404, "batch_not_found")
