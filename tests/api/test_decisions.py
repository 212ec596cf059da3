"""Any kind of signed decision through the one generic route, ``POST /api/batches/{id}/
decisions/{kind}/{subject}``: it answers as each kind's own route, refuses an unknown kind and a
body that is not the kind's request, and the workflow still decides who may decide."""

from __future__ import annotations

import pytest

from tests.api.decisions import MIX, RELEASER, batch, mark_all, with_out_of_limit_mix
from tests.api.harness import Ebr, sign
from tests.api.steps import assert_error, run_steps, started

pytestmark = pytest.mark.e2e


def decisions(batch_id: str, kind: str, subject_id: str) -> str:
    return f"/api/batches/{batch_id}/decisions/{kind}/{subject_id}"


async def test_a_hold_is_lifted_and_a_batch_released_through_the_generic_route(ebr: Ebr) -> None:
    batch_id, dev = await with_out_of_limit_mix(ebr)
    held = await ebr.post("sam", f"/api/batches/{batch_id}/hold", json={"reason": "spill"})
    hold_id = held.json()["hold_id"]
    lifted = await ebr.post(
        "quinn",
        decisions(batch_id, "lift", hold_id),
        json={"reason": "cleaned", "signature": sign("quinn", "approved")},
    )
    assert lifted.status_code == 200, lifted.text
    body = lifted.json()
    assert (body["hold"]["hold_id"], body["hold"]["lifted_by"]) == (hold_id, "quinn")
    assert body["record"]["subject"] == {"kind": "hold", "id": hold_id}

    disposed = await ebr.post(
        "quinn",
        decisions(batch_id, "disposition", dev["id"]),
        json={"decision": "accept", "reason": "fine", "signature": sign("quinn", "approved")},
    )
    assert disposed.status_code == 409, "not investigated nor classified yet: the workflow says"
    assert disposed.json()["error"] == "deviation_state"


async def test_release_through_the_generic_route_is_the_release(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    await run_steps(ebr, batch_id)
    await mark_all(ebr, batch_id)
    refused = await ebr.post(
        "olga",
        decisions(batch_id, "release", batch_id),
        json={"signature": sign("olga", "released")},
    )
    assert_error(refused, 403, "role_not_allowed")
    released = await ebr.post(
        RELEASER,
        decisions(batch_id, "release", batch_id),
        json={"comment": "all in order", "signature": sign(RELEASER, "released")},
    )
    assert released.status_code == 200, released.text
    assert released.json()["batch_status"] == "released"
    assert released.json()["record"]["record_id"] == f"{batch_id}/batch:{batch_id}/released"
    assert (await batch(ebr, batch_id))["status"] == "released"


async def test_an_unknown_kind_a_wrong_body_and_a_wrong_meaning_are_refused(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    await run_steps(ebr, batch_id, stop=MIX)
    unknown = await ebr.post(
        "quinn",
        decisions(batch_id, "cancel", batch_id),
        json={"signature": sign("quinn", "released")},
    )
    body = assert_error(unknown, 404, "unknown_action")
    assert "release, reject, classify, disposition, lift" in body["message"]
    no_reason = await ebr.post(
        "quinn",
        decisions(batch_id, "reject", batch_id),
        json={"signature": sign("quinn", "rejected")},
    )
    body = assert_error(no_reason, 422, "invalid_request")
    assert body["details"] == [{"field": "reason", "reason": "Field required"}]
    not_json = await ebr.http.post(
        decisions(batch_id, "reject", batch_id),
        content=b"{not json",
        headers={**(await ebr.headers("quinn")), "content-type": "application/json"},
    )
    assert_error(not_json, 422, "invalid_request")
    wrong_meaning = await ebr.post(
        "quinn",
        decisions(batch_id, "reject", batch_id),
        json={"reason": "no", "signature": sign("quinn", "released")},
    )
    assert_error(wrong_meaning, 422, "wrong_meaning")
    assert (await batch(ebr, batch_id))["status"] == "in_progress", "nothing was decided"
