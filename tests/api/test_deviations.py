"""Deviations over HTTP: opened by an out-of-limit value or by hand, investigated by a supervisor,
classified and dispositioned (signed) by QA; accept, rework and reject; every refusal."""

from __future__ import annotations

import pytest

from tests.api.decisions import (
    MIX,
    batch,
    classify,
    complete_with,
    deviations,
    disposition,
    investigate,
    with_out_of_limit_mix,
)
from tests.api.harness import Ebr
from tests.api.people import audit_entries
from tests.api.steps import DEMO_SHORT, assert_error, complete, correct, run_steps, started

pytestmark = pytest.mark.e2e


async def test_an_out_of_limit_value_needs_a_comment_and_opens_a_deviation(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    await run_steps(ebr, batch_id, stop=MIX)
    step_id, user, values, _ = DEMO_SHORT[MIX]
    out = {**values, "mix-time": "12"}
    body = assert_error(
        await complete_with(ebr, user, batch_id, step_id, out), 422, "comment_required"
    )
    assert "comment" in str(body["details"])
    assert await deviations(ebr, batch_id) == [], "a refused completion opens nothing"

    answer = await complete_with(ebr, user, batch_id, step_id, out, "timer slipped")
    assert answer.status_code == 200, answer.text
    record = answer.json()["record"]
    mix_time = next(v for v in record["values"] if v["name"] == "mix-time")
    assert (mix_time["value"], mix_time["in_spec"]) == ("12", False), "recorded as entered"
    assert record["comment"] == "timer slipped"

    [dev] = await deviations(ebr, batch_id)
    assert (dev["origin"], dev["stage"], dev["step_id"], dev["critical"]) == (
        "out_of_limit",
        "open",
        "mix",
        False,
    )
    assert dev["id"] == f"{batch_id}-DEV-001"
    one = await ebr.get("omar", f"/api/batches/{batch_id}/deviations/{dev['id']}")
    assert one.status_code == 200, one.text
    assert one.json() == dev
    assert (await batch(ebr, batch_id))["status"] == "in_progress", "a minor matter holds nothing"


async def test_a_critical_value_out_of_limits_holds_the_batch(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    await run_steps(ebr, batch_id, stop=1)
    step_id, user, values, _ = DEMO_SHORT[1]
    answer = await complete_with(
        ebr, user, batch_id, step_id, {**values, "powder-mass": "10.2"}, "scale drift"
    )
    assert answer.status_code == 200, answer.text
    [dev] = await deviations(ebr, batch_id)
    assert dev["critical"] is True
    assert (await batch(ebr, batch_id))["status"] == "on_hold"
    # The deviation's hold is not a person's: it ends with the deviation, never by hand.
    body = assert_error(
        await ebr.post(
            "sam",
            f"/api/batches/{batch_id}/steps/{step_id}/verify",
            json={
                "signature": {
                    "meaning": "verified",
                    "user_id": "sam",
                    "password": "ebr-demo-lindqvist",
                }
            },
        ),
        409,
        "batch_on_hold",
    )
    assert body["details"]["deviation_id"] == dev["id"]


async def test_anyone_opens_a_deviation_by_hand_with_a_description(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    path = f"/api/batches/{batch_id}/deviations"
    answer = await ebr.post("olga", path, json={"description": "label torn", "step_id": "mix"})
    assert answer.status_code == 201, answer.text
    dev = answer.json()
    assert (dev["origin"], dev["opened_by"], dev["step_id"]) == ("manual", "olga", "mix")
    body = assert_error(
        await ebr.post("olga", path, json={"description": ""}), 422, "invalid_request"
    )
    assert body["details"][0]["field"] == "description"
    assert_error(await ebr.post("olga", path, json={"description": "   "}), 422, "reason_required")
    assert_error(
        await ebr.post("olga", path, json={"description": "x", "step_id": "nope"}),
        404,
        "unknown_step",
    )
    assert_error(
        await ebr.post("olga", "/api/batches/B-NOPE/deviations", json={"description": "x"}),
        404,
        "batch_not_found",
    )
    [listed] = await deviations(ebr, batch_id)
    assert listed["id"] == dev["id"]
    entries = await audit_entries(ebr, batch_id=batch_id, entity="deviation")
    assert [(e["action"], e["actor"]) for e in entries] == [("deviation_opened", "olga")]


async def test_each_stage_is_its_roles_in_order(ebr: Ebr) -> None:
    batch_id, dev = await with_out_of_limit_mix(ebr)
    dev_id = dev["id"]
    assert_error(await classify(ebr, batch_id, dev_id), 409, "deviation_state")
    assert_error(await investigate(ebr, batch_id, dev_id, user="olga"), 403, "role_not_allowed")
    body = assert_error(
        await investigate(ebr, batch_id, dev_id, root_cause=""), 422, "invalid_request"
    )
    assert body["details"][0]["field"] == "root_cause"
    assert_error(
        await investigate(ebr, batch_id, dev_id, affected_steps=["nope"]), 404, "unknown_step"
    )
    answer = await investigate(ebr, batch_id, dev_id, affected_steps=["mix"])
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert (found["stage"], found["investigation"]["by"]) == ("investigated", "sam")
    assert found["investigation"]["affected_steps"] == ["mix"]

    assert_error(await classify(ebr, batch_id, dev_id, user="olga"), 403, "role_not_allowed")
    assert_error(await classify(ebr, batch_id, dev_id, user="sam"), 403, "role_not_allowed")
    body = assert_error(
        await classify(ebr, batch_id, dev_id, classification="huge"), 422, "invalid_request"
    )
    assert body["details"][0]["field"] == "classification"
    assert_error(await disposition(ebr, batch_id, dev_id), 409, "deviation_state")
    answer = await classify(ebr, batch_id, dev_id)
    assert answer.status_code == 200, answer.text
    classified = answer.json()["deviation"]
    assert (classified["stage"], classified["classified_by"]) == ("classified", "quinn")
    assert answer.json()["record"]["meaning"] == "classified"

    capa = f"/api/batches/{batch_id}/deviations/{dev_id}/capa"
    assert_error(await ebr.post("olga", capa, json={"capa_ref": "CAPA-1"}), 403, "role_not_allowed")
    assert_error(await ebr.post("sam", capa, json={"capa_ref": "  "}), 422, "reason_required")
    body = assert_error(await ebr.post("sam", capa, json={}), 422, "invalid_request")
    assert body["details"][0]["field"] == "capa_ref"
    answer = await ebr.post("sam", capa, json={"capa_ref": "CAPA-2026-017"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["capa_ref"] == "CAPA-2026-017"

    assert_error(await disposition(ebr, batch_id, dev_id, user="olga"), 403, "role_not_allowed")
    assert_error(await disposition(ebr, batch_id, dev_id, user="sam"), 403, "role_not_allowed")
    body = assert_error(
        await disposition(ebr, batch_id, dev_id, rework_steps=["mix"]), 422, "rework_invalid"
    )
    assert body["details"]["field"] == "rework_steps"
    answer = await disposition(ebr, batch_id, dev_id)
    assert answer.status_code == 200, answer.text
    decided = answer.json()
    assert decided["deviation"]["stage"] == "closed"
    assert decided["deviation"]["disposition"]["decision"] == "accept"
    record = decided["record"]
    assert (record["step_id"], record["meaning"], record["reason"]) == (
        f"@deviation:{dev_id}",
        "approved",
        "no impact on quality",
    )
    assert record["signed"] is not None
    assert '"decision":"accept"' in record["signed"]["payload"]

    [closed] = await deviations(ebr, batch_id)
    assert (closed["stage"], closed["capa_ref"]) == ("closed", "CAPA-2026-017")
    assert_error(await investigate(ebr, batch_id, dev_id), 409, "deviation_state")
    assert_error(await disposition(ebr, batch_id, dev_id), 409, "deviation_state")
    assert_error(await ebr.post("sam", capa, json={"capa_ref": "CAPA-3"}), 409, "deviation_state")
    actions = [e["action"] for e in await audit_entries(ebr, batch_id=batch_id, entity="deviation")]
    assert actions == [
        "deviation_opened",
        "deviation_investigated",
        "deviation_classified",
        "capa_attached",
        "deviation_closed",
    ]


async def test_unknown_deviations_are_404(ebr: Ebr) -> None:
    batch_id, _ = await with_out_of_limit_mix(ebr)
    other = await started(ebr)
    for dev_id in ("nope", f"{other}-DEV-001"):
        answer = await ebr.get("olga", f"/api/batches/{batch_id}/deviations/{dev_id}")
        assert_error(answer, 404, "unknown_deviation")
        assert_error(await investigate(ebr, batch_id, dev_id), 404, "unknown_deviation")
        assert_error(await disposition(ebr, batch_id, dev_id), 404, "unknown_deviation")
    assert_error(await ebr.get("olga", "/api/batches/B-NOPE/deviations"), 404, "batch_not_found")


async def test_a_reject_disposition_ends_the_batch_rejected(ebr: Ebr) -> None:
    batch_id, dev = await with_out_of_limit_mix(ebr)
    for answer in (
        await investigate(ebr, batch_id, dev["id"]),
        await classify(ebr, batch_id, dev["id"], classification="major"),
    ):
        assert answer.status_code == 200, answer.text
    assert (await batch(ebr, batch_id))["status"] == "on_hold", "a major deviation holds"
    answer = await disposition(ebr, batch_id, dev["id"], "reject", reason="blend not uniform")
    assert answer.status_code == 200, answer.text
    assert answer.json()["batch_status"] == "rejected"
    assert (await batch(ebr, batch_id))["status"] == "rejected"
    listed = await ebr.get("aude", "/api/batches", params={"status": "rejected", "limit": "500"})
    assert batch_id in {b["batch_id"] for b in listed.json()}
    step_id, user, values, _ = DEMO_SHORT[MIX + 1]
    answer = await complete(ebr, user, batch_id, step_id, values)
    assert answer.status_code == 409, answer.text


async def test_a_rework_opens_steps_again_as_new_executions(ebr: Ebr) -> None:
    batch_id, dev = await with_out_of_limit_mix(ebr)
    await run_steps(ebr, batch_id, first=MIX + 1, stop=MIX + 2)
    dev_id = dev["id"]
    for answer in (await investigate(ebr, batch_id, dev_id), await classify(ebr, batch_id, dev_id)):
        assert answer.status_code == 200, answer.text
    assert_error(
        await disposition(ebr, batch_id, dev_id, "rework", rework_steps=[]), 422, "rework_invalid"
    )
    assert_error(
        await disposition(ebr, batch_id, dev_id, "rework", rework_steps=["qa-release"]),
        422,
        "rework_invalid",
    )
    answer = await disposition(
        ebr, batch_id, dev_id, "rework", rework_steps=["mix", "blend-moisture"], reason="redo"
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["reopened"] == ["mix", "blend-moisture"]
    detail = await batch(ebr, batch_id)
    statuses = {s["step_id"]: s["status"] for s in detail["steps"]}
    assert statuses["mix"] == statuses["blend-moisture"] == "pending"
    assert statuses["close-blender"] == "done"
    assert detail["next_step"] == "mix"

    await run_steps(ebr, batch_id, first=MIX, stop=MIX + 1)  # mix again, in limits
    # A correction now corrects the second execution's record.
    step_id, user, values, _ = DEMO_SHORT[MIX]
    answer = await correct(ebr, user, batch_id, step_id, {**values, "mix-time": "10.5"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["record"]["corrects"] == f"{batch_id}/mix/2/performed"
    await run_steps(ebr, batch_id, first=MIX + 1)
    records = (await ebr.get("aude", f"/api/batches/{batch_id}/records")).json()
    mixes = [(r["execution"], r["meaning"]) for r in records if r["step_id"] == "mix"]
    assert mixes == [(1, "performed"), (2, "performed"), (2, "corrected")], "the first stays"
    second = next(r for r in records if r["step_id"] == "mix" and r["execution"] == 2)
    assert second["record_id"] == f"{batch_id}/mix/2/performed"
    assert '"execution":2' in second["signed"]["payload"]
    assert (await batch(ebr, batch_id))["status"] == "awaiting_review"
