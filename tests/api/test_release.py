"""QA's decision over HTTP: release (signed ``released``) only when nothing is missing and only by
someone who performed or verified no step; rejection (signed ``rejected``) with a reason. Every
decision is a signed record in the batch's chain and in the audit trail."""

from __future__ import annotations

import asyncio

import pytest

from tests.api.decisions import (
    MIX,
    RELEASER,
    batch,
    closed_by_accept,
    mark_all,
    missing_kinds,
    reject,
    release,
    review,
    with_out_of_limit_mix,
)
from tests.api.harness import Ebr
from tests.api.people import audit_entries
from tests.api.steps import assert_error, run_steps, started

pytestmark = pytest.mark.e2e


async def listed(ebr: Ebr, status: str) -> set[str]:
    answer = await ebr.get("aude", "/api/batches", params={"status": status, "limit": "500"})
    assert answer.status_code == 200, answer.text
    return {b["batch_id"] for b in answer.json()}


async def test_release_waits_for_the_deviation_the_steps_and_the_review(ebr: Ebr) -> None:
    batch_id, dev = await with_out_of_limit_mix(ebr)
    body = assert_error(await release(ebr, batch_id), 409, "release_blocked")
    assert missing_kinds(body) == {"step_not_done", "deviation_open", "exception_unreviewed"}
    assert {"kind": "deviation_open", "deviation_id": dev["id"], "stage": "open"} in body[
        "details"
    ]["missing"]
    assert dev["id"] in str(body["details"]) and "open deviation" in body["message"]

    await closed_by_accept(ebr, batch_id, dev["id"])
    await run_steps(ebr, batch_id, first=MIX + 1)
    body = assert_error(await release(ebr, batch_id), 409, "release_blocked")
    assert missing_kinds(body) == {"exception_unreviewed"}
    unreviewed = {item["exception_id"] for item in body["details"]["missing"]}
    assert unreviewed == {item["id"] for item in (await review(ebr, batch_id))["exceptions"]}
    assert (await batch(ebr, batch_id))["status"] == "awaiting_review"

    await mark_all(ebr, batch_id)
    assert (await review(ebr, batch_id))["release_blocked"] == []
    answer = await release(ebr, batch_id)
    assert answer.status_code == 200, answer.text
    decided = answer.json()
    assert decided["batch_status"] == "released"
    record = decided["record"]
    assert (record["record_id"], record["meaning"]) == (
        f"{batch_id}/batch:{batch_id}/released",
        "released",
    )
    assert record["manifestation"]["user_id"] == RELEASER
    assert (await batch(ebr, batch_id))["status"] == "released"
    assert batch_id in await listed(ebr, "released")
    assert batch_id not in await listed(ebr, "awaiting_review")
    # Temporal's view (its UI, `temporal workflow list --query`) agrees with the API's.
    query = f'EbrBatchStatus="released" AND WorkflowId="{batch_id}"'
    found: list[str] = []
    for _ in range(50):  # visibility is eventually consistent
        found = [w.id async for w in ebr.temporal.list_workflows(query)]
        if found:
            break
        await asyncio.sleep(0.2)
    assert found == [batch_id]
    # Refused by the ended batch's rules, or by Temporal once its workflow has closed.
    for again in (await release(ebr, batch_id), await reject(ebr, batch_id)):
        assert again.status_code == 409, again.text
        assert again.json()["error"] in {"transition_not_allowed", "batch_not_active"}


async def test_whoever_performed_or_verified_a_step_may_not_release(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    await run_steps(ebr, batch_id)  # quinn performs qa-release
    body = assert_error(await release(ebr, batch_id, user="quinn"), 403, "segregation_of_duties")
    assert body["details"] == {"user_id": "quinn"}
    assert_error(await release(ebr, batch_id, user="olga"), 403, "role_not_allowed")
    assert_error(await release(ebr, batch_id, user="sam"), 403, "role_not_allowed")
    assert (await batch(ebr, batch_id))["status"] == "awaiting_review"
    answer = await release(ebr, batch_id)
    assert answer.status_code == 200, answer.text


async def test_a_release_signature_is_checked_like_any_other(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    await run_steps(ebr, batch_id)
    wrong = {"signature": {"meaning": "approved", "user_id": RELEASER, "password": "x"}}
    answer = await ebr.post(RELEASER, f"/api/batches/{batch_id}/release", json=wrong)
    assert_error(answer, 422, "wrong_meaning")
    answer = await ebr.post(RELEASER, f"/api/batches/{batch_id}/release", json={})
    assert_error(answer, 422, "invalid_request")
    assert (await batch(ebr, batch_id))["status"] == "awaiting_review"
    assert_error(await release(ebr, "B-NOPE"), 404, "batch_not_found")


async def test_rejection_needs_qa_and_a_reason(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    await run_steps(ebr, batch_id, stop=2)
    body = assert_error(await reject(ebr, batch_id, reason=None), 422, "invalid_request")
    assert [d["field"] for d in body["details"]] == ["reason"]
    body = assert_error(await reject(ebr, batch_id, reason="  "), 422, "reason_required")
    assert body["details"] == {"field": "reason"}
    assert_error(await reject(ebr, batch_id, user="olga"), 403, "role_not_allowed")
    assert_error(await reject(ebr, batch_id, user="sam"), 403, "role_not_allowed")
    answer = await reject(ebr, batch_id, reason="wrong powder lot")
    assert answer.status_code == 200, answer.text
    decided = answer.json()
    assert decided["batch_status"] == "rejected"
    assert (decided["record"]["meaning"], decided["record"]["reason"]) == (
        "rejected",
        "wrong powder lot",
    )
    assert (await batch(ebr, batch_id))["status"] == "rejected"
    assert batch_id in await listed(ebr, "rejected")
    again = await release(ebr, batch_id)
    assert again.status_code == 409, again.text
    assert again.json()["error"] in {"transition_not_allowed", "batch_not_active"}


async def test_every_decision_is_a_signed_record_and_in_the_audit_trail(ebr: Ebr) -> None:
    batch_id, dev = await with_out_of_limit_mix(ebr)
    placed = await ebr.post("sam", f"/api/batches/{batch_id}/hold", json={"reason": "spill"})
    hold_id = placed.json()["hold_id"]
    lifted = await ebr.post(
        "quinn",
        f"/api/batches/{batch_id}/hold/lift",
        json={
            "reason": "cleaned",
            "signature": {"meaning": "approved", "user_id": "quinn", "password": "ebr-demo-moreau"},
        },
    )
    assert lifted.status_code == 200, lifted.text
    await closed_by_accept(ebr, batch_id, dev["id"])
    await run_steps(ebr, batch_id, first=MIX + 1)
    await mark_all(ebr, batch_id)
    answer = await release(ebr, batch_id)
    assert answer.status_code == 200, answer.text

    records = (await ebr.get("aude", f"/api/batches/{batch_id}/records")).json()
    decisions = [r for r in records if r["step_id"].startswith("@")]
    assert [(r["step_id"], r["meaning"], r["manifestation"]["user_id"]) for r in decisions] == [
        (f"@hold:{hold_id}", "approved", "quinn"),
        (f"@deviation:{dev['id']}", "classified", "quinn"),
        (f"@deviation:{dev['id']}", "approved", "quinn"),
        ("@batch", "released", RELEASER),
    ]
    assert all(r["signed"] is not None for r in records)
    chain = [r["signed"]["prev_hash"] for r in records[1:]]
    assert chain == [r["signed"]["record_hash"] for r in records[:-1]], "one chain, in order"
    signed = {
        e["entity_id"]: e
        for e in await audit_entries(ebr, batch_id=batch_id, entity="signed_record")
    }
    for r in decisions:
        entry = signed[r["record_id"]]
        assert (entry["action"], entry["actor"]) == ("record_signed", r["manifestation"]["user_id"])
        assert entry["new_value"]["record_hash"] == r["signed"]["record_hash"]
    statuses = [
        e["new_value"]
        for e in await audit_entries(ebr, batch_id=batch_id, entity="batch")
        if e["action"] == "status_changed"
    ]
    assert statuses[-1] == "released"
