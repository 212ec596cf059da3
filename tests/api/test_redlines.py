"""Redlines over HTTP: a supervisor proposes changes to DEMO-SHORT steps not yet started, with a
reason and a signature; QA approves one through the decision route and the batch runs it from the
next step on (the changed instructions and limits, the added step in its order), and the review
lists it; and every refusal, in words: QA's rejection with its reason, the wrong role, a step
already started, the proposer deciding their own redline."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ebr.domain.roles import Role
from ebr.trust import SiteTrust
from tests.api.decisions import review
from tests.api.harness import Ebr, sign
from tests.api.steps import DEMO_SHORT, assert_error, complete, run_steps, started, verify
from tests.people import new_user

pytestmark = pytest.mark.e2e

PASSWORD = "a-redline-password-22ch"
SIEVE = {
    "kind": "add_step",
    "after": "close-blender",
    "step": {
        "id": "sieve",
        "name": "Sieve the blend",
        "instructions": "Pass the blend through a 1 mm sieve.",
        "kind": "instruction",
    },
}
CHANGES: list[dict[str, Any]] = [
    {"kind": "instructions", "step_id": "close-blender", "instructions": "Close, lock, tag."},
    {"kind": "limits", "step_id": "mix", "input": "mix-time", "min": "9", "max": "13"},
    {"kind": "timer", "step_id": "blend-moisture", "max_duration_minutes": 600},
    SIEVE,
]


async def propose(
    ebr: Ebr,
    batch_id: str,
    changes: list[dict[str, Any]],
    user: str = "sam",
    reason: str = "blender lid seal replaced; longer mixing validated",
    password: str | None = None,
) -> httpx.Response:
    body = {
        "changes": changes,
        "reason": reason,
        "signature": sign(user, "proposed", password=password),
    }
    return await ebr.post(user, f"/api/batches/{batch_id}/redlines", json=body)


async def decide(
    ebr: Ebr,
    batch_id: str,
    redline: dict[str, Any],
    kind: str = "approve-redline",
    user: str = "quinn",
    reason: str | None = None,
    password: str | None = None,
    content_hash: str | None = None,
) -> httpx.Response:
    meaning = "approved" if kind == "approve-redline" else "rejected"
    body: dict[str, Any] = {
        "content_hash": content_hash or redline["content_hash"],
        "signature": sign(user, meaning, password=password),
    }
    if reason is not None:
        body["reason"] = reason
    path = f"/api/batches/{batch_id}/decisions/{kind}/{redline['redline_id']}"
    return await ebr.post(user, path, json=body)


async def redlines(ebr: Ebr, batch_id: str, user: str = "aude") -> list[dict[str, Any]]:
    answer = await ebr.get(user, f"/api/batches/{batch_id}/redlines")
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()
    return found


def step_of(detail: dict[str, Any], step_id: str) -> dict[str, Any]:
    return next(s for s in detail["steps"] if s["step_id"] == step_id)


async def test_an_approved_redline_is_run_from_the_next_step_on(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    await run_steps(ebr, batch_id, stop=1)  # weigh-powder is the step to do now
    answer = await propose(ebr, batch_id, CHANGES)
    assert answer.status_code == 201, answer.text
    proposed = answer.json()
    assert proposed["record"]["meaning"] == "proposed"
    assert proposed["record"]["subject"] == {"kind": "redline", "id": f"{batch_id}-RL1"}
    assert proposed["redline"]["status"] == "proposed"

    (listed,) = await redlines(ebr, batch_id)
    assert listed["redline_id"] == f"{batch_id}-RL1" and listed["proposed_by"] == "sam"
    assert listed["summary"][3] == "add step 'sieve' (Sieve the blend) after 'close-blender'"
    mix = next(s for s in listed["steps"] if s["step_id"] == "mix")
    assert [i["max"] for i in mix["master"]["inputs"] if i["name"] == "mix-time"] == ["11"]
    assert [i["max"] for i in mix["batch"]["inputs"] if i["name"] == "mix-time"] == ["11"]
    assert [i["max"] for i in mix["proposed"]["inputs"] if i["name"] == "mix-time"] == ["13"]
    sieve = next(s for s in listed["steps"] if s["step_id"] == "sieve")
    assert sieve["master"] is None and sieve["batch"] is None and sieve["proposed"]

    answer = await decide(ebr, batch_id, listed)
    assert answer.status_code == 200, answer.text
    assert answer.json()["redline"]["status"] == "approved"
    assert answer.json()["record"]["detail"] == {"content_hash": listed["content_hash"]}
    batch = (await ebr.get("aude", f"/api/batches/{batch_id}")).json()
    assert [s["step_id"] for s in batch["steps"]] == [
        "line-clearance",
        "weigh-powder",
        "close-blender",
        "sieve",
        "mix",
        "blend-moisture",
        "qa-release",
    ]
    assert batch["steps_total"] == 7
    assert step_of(batch, "close-blender")["instructions"] == "Close, lock, tag."
    (approved,) = await redlines(ebr, batch_id)
    assert approved["status"] == "approved" and approved["decided_by"] == "quinn"
    assert approved["steps"][0]["batch"]["instructions"] == "Close, lock, tag."
    assert approved["steps"][0]["master"]["instructions"] == "Close and lock the blender lid."

    _, user, values, verifier = DEMO_SHORT[1]
    assert (await complete(ebr, user, batch_id, "weigh-powder", values)).status_code == 200
    assert (await verify(ebr, str(verifier), batch_id, "weigh-powder")).status_code == 200
    assert (await complete(ebr, "olga", batch_id, "close-blender")).status_code == 200
    mixed = {"mix-time": "12.5", "appearance": "uniform"}  # out of the master's 9 to 11
    early = await complete(ebr, "omar", batch_id, "mix", mixed)
    assert_error(early, 409, "step_out_of_order")
    assert (await complete(ebr, "olga", batch_id, "sieve")).status_code == 200
    answer = await complete(ebr, "omar", batch_id, "mix", mixed)  # no comment needed now
    assert answer.status_code == 200, answer.text
    assert [v["in_spec"] for v in answer.json()["record"]["values"]] == [True, None]
    await run_steps(ebr, batch_id, first=4)
    found = await review(ebr, batch_id)
    assert found["status"] == "awaiting_review"
    assert [e["id"] for e in found["exceptions"]] == [f"redline:{batch_id}-RL1"]
    assert "approved by quinn" in found["exceptions"][0]["summary"]


async def test_refused_redlines_say_why_and_change_nothing(ebr: Ebr, trust: SiteTrust) -> None:
    batch_id = await started(ebr)  # line-clearance is the step to do now
    for user in ("olga", "quinn"):
        assert_error(await propose(ebr, batch_id, [SIEVE], user=user), 403, "role_not_allowed")
    started_step = [{"kind": "instructions", "step_id": "line-clearance", "instructions": "x"}]
    body = assert_error(await propose(ebr, batch_id, started_step), 409, "redline_step_started")
    assert "step 'line-clearance' has started: it is the step to do now" in body["message"]
    unknown = [{**SIEVE, "after": "granulate"}]
    body = assert_error(await propose(ebr, batch_id, unknown), 422, "redline_invalid")
    assert "no step 'granulate'" in body["message"]
    assert_error(await propose(ebr, batch_id, []), 422, "invalid_request")
    assert await redlines(ebr, batch_id) == []

    assert (await propose(ebr, batch_id, [SIEVE])).status_code == 201
    (redline,) = await redlines(ebr, batch_id)
    assert_error(await decide(ebr, batch_id, redline, user="sam"), 403, "role_not_allowed")
    other = await decide(ebr, batch_id, redline, content_hash="0" * 64)
    assert_error(other, 422, "payload_mismatch")
    no_reason = await decide(ebr, batch_id, redline, kind="reject-redline")
    assert_error(no_reason, 422, "invalid_request")
    answer = await decide(ebr, batch_id, redline, kind="reject-redline", reason="not validated")
    assert answer.status_code == 200, answer.text
    (rejected,) = await redlines(ebr, batch_id)
    assert (rejected["status"], rejected["decision_reason"]) == ("rejected", "not validated")
    again = assert_error(await decide(ebr, batch_id, redline), 409, "redline_state")
    assert "already rejected by quinn" in again["message"]

    both = new_user(
        ebr.engine, trust, password=PASSWORD, roles=(Role.SUPERVISOR, Role.QA), prefix="sq"
    )
    await ebr.token(both, PASSWORD)
    weigh = [{"kind": "instructions", "step_id": "weigh-powder", "instructions": "Weigh twice."}]
    assert (await propose(ebr, batch_id, weigh, user=both, password=PASSWORD)).status_code == 201
    own = (await redlines(ebr, batch_id))[1]
    mine = await decide(ebr, batch_id, own, user=both, password=PASSWORD)
    assert_error(mine, 403, "approver_is_proposer")
    await run_steps(ebr, batch_id, stop=1)  # weigh-powder has started now
    late = assert_error(await decide(ebr, batch_id, own), 409, "redline_step_started")
    assert "step 'weigh-powder' has started" in late["message"]
    batch = (await ebr.get("aude", f"/api/batches/{batch_id}")).json()
    assert batch["steps_total"] == 6
    assert (
        step_of(batch, "weigh-powder")["instructions"]
        == "Weigh 10.00 kg of powder into the blender."
    )
    assert (await review(ebr, batch_id))["none"] is True
    missing = await ebr.get("aude", f"/api/batches/{batch_id}/redlines/{batch_id}-RL9")
    assert_error(missing, 404, "unknown_redline")
