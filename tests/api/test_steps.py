"""Completing and verifying steps over HTTP: order, roles, values, second-person verification."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from ebr.store.db import session_scope
from ebr.store.signed_records import list_batch_records
from tests.api.harness import STATION, Ebr, sign
from tests.api.steps import DEMO_SHORT, assert_error, complete, run_steps, started, verify

pytestmark = pytest.mark.e2e

CLEARANCE = {"area-clear": True}
WEIGHING = {"powder-lot": "PWD-0042", "powder-mass": "10.01"}


def stored_records(ebr: Ebr, batch_id: str, step_id: str) -> list[tuple[str, str]]:
    with session_scope(ebr.engine) as session:
        rows = list_batch_records(session=session, batch_id=batch_id)
    return [(r.meaning, r.user_id) for r in rows if r.subject_id == step_id]


async def test_completing_a_step_returns_the_signature_manifestation(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    before = datetime.now(UTC)
    answer = await ebr.post(
        "olga",
        f"/api/batches/{batch_id}/steps/line-clearance/complete",
        json={
            "values": CLEARANCE,
            "comment": "room 4 checked",
            "signature": sign("olga", "performed"),
        },
    )
    after = datetime.now(UTC)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    record = result["record"]
    manifestation = record["manifestation"]
    assert manifestation["full_name"] == "Olga Okafor"
    assert manifestation["user_id"] == "olga"
    assert manifestation["meaning"] == "performed"
    assert manifestation["station"] == f"{STATION} (127.0.0.1)"
    at = datetime.fromisoformat(manifestation["at"])
    assert at.tzinfo is not None and at.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=2) <= at <= after + timedelta(seconds=2)
    assert (record["step_id"], record["seq"], record["execution"], record["comment"]) == (
        "line-clearance",
        1,
        1,
        "room 4 checked",
    )
    assert [(v["name"], v["value"]) for v in record["values"]] == [("area-clear", True)]
    assert (result["step_status"], result["batch_status"]) == (
        "awaiting_verification",
        "in_progress",
    )
    assert (result["steps_done"], result["steps_total"]) == (0, 6)

    batch = (await ebr.get("aude", f"/api/batches/{batch_id}")).json()
    assert batch["steps"][0]["status"] == "awaiting_verification"
    assert batch["steps"][0]["records"] == [record], "the stored record is the one returned"


async def test_without_a_station_header_the_station_is_the_network_address(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    headers = await ebr.headers("olga", station=None)
    answer = await ebr.http.post(
        f"/api/batches/{batch_id}/steps/line-clearance/complete",
        json={"values": CLEARANCE, "signature": sign("olga", "performed")},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["record"]["manifestation"]["station"] == "127.0.0.1"


async def test_steps_out_of_order_and_twice_are_409(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    mix = {"mix-time": "10", "appearance": "uniform"}
    error = assert_error(
        await complete(ebr, "olga", batch_id, "mix", mix), 409, "step_out_of_order"
    )
    assert error["details"] == {"step_id": "mix", "next_step": "line-clearance"}
    assert "'line-clearance' comes before 'mix'" in error["message"]
    # With no values at all, what is wrong first is still the order, not the missing values.
    error = assert_error(await complete(ebr, "olga", batch_id, "mix", {}), 409, "step_out_of_order")
    assert error["details"] == {"step_id": "mix", "next_step": "line-clearance"}

    await run_steps(ebr, batch_id, 0, 3)
    error = assert_error(
        await complete(ebr, "omar", batch_id, "close-blender", {}), 409, "step_already_done"
    )
    assert error["details"] == {"step_id": "close-blender", "performed_by": "olga"}
    assert stored_records(ebr, batch_id, "close-blender") == [("performed", "olga")]
    error = assert_error(
        await complete(ebr, "olga", batch_id, "qa-release", {"released": True}),
        409,
        "step_out_of_order",
    )
    assert error["details"]["next_step"] == "mix"


async def test_an_unknown_step_is_404(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    error = assert_error(await complete(ebr, "olga", batch_id, "no-such-step"), 404, "unknown_step")
    assert error["details"] == {"step_id": "no-such-step"}


@pytest.mark.parametrize(("user", "step"), [("quinn", 0), ("aude", 0), ("olga", 5), ("sam", 5)])
async def test_a_step_done_by_the_wrong_role_is_403(ebr: Ebr, user: str, step: int) -> None:
    batch_id = await started(ebr)
    await run_steps(ebr, batch_id, 0, step)
    step_id, _, values, _ = DEMO_SHORT[step]
    error = assert_error(
        await complete(ebr, user, batch_id, step_id, values), 403, "role_not_allowed"
    )
    assert error["details"]["step_id"] == step_id
    assert error["details"]["required_role"] == ("qa" if step == 5 else "operator")
    assert stored_records(ebr, batch_id, step_id) == []


async def test_invalid_values_are_422_naming_each_field(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    await run_steps(ebr, batch_id, 0, 1)
    answer = await complete(
        ebr, "olga", batch_id, "weigh-powder", {"powder-lot": "L" * 41, "powder-mass": "heavy"}
    )
    error = assert_error(answer, 422, "invalid_values")
    fields = {d["field"]: d["reason"] for d in error["details"]}
    assert set(fields) == {"powder-lot", "powder-mass"}
    assert "Net mass of powder must be a number" in fields["powder-mass"]
    assert "longer than 40" in fields["powder-lot"]

    missing = assert_error(
        await complete(ebr, "olga", batch_id, "weigh-powder", {}), 422, "invalid_values"
    )
    assert {d["field"] for d in missing["details"]} == {"powder-lot", "powder-mass"}
    assert stored_records(ebr, batch_id, "weigh-powder") == []


async def test_a_malformed_body_is_422(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    answer = await ebr.post(
        "olga",
        f"/api/batches/{batch_id}/steps/line-clearance/complete",
        json={"values": [1, 2], "signature": sign("olga", "performed")},
    )
    error = assert_error(answer, 422, "invalid_request")
    assert [d["field"] for d in error["details"]] == ["values"]


async def test_verification_needs_a_second_qualified_person(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    assert (await complete(ebr, "olga", batch_id, "line-clearance", CLEARANCE)).status_code == 200

    error = assert_error(
        await verify(ebr, "olga", batch_id, "line-clearance"), 403, "verifier_is_performer"
    )
    assert error["details"] == {"step_id": "line-clearance"}
    error = assert_error(
        await verify(ebr, "aude", batch_id, "line-clearance"), 403, "role_not_allowed"
    )
    assert error["details"]["allowed_roles"] == ["operator", "qa", "supervisor"]

    blocked = assert_error(
        await complete(ebr, "olga", batch_id, "weigh-powder", WEIGHING), 409, "step_out_of_order"
    )
    assert blocked["details"] == {"step_id": "weigh-powder", "next_step": "line-clearance"}
    assert "must be verified by a second person" in blocked["message"]

    answer = await verify(ebr, "sam", batch_id, "line-clearance")
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["record"]["manifestation"]["meaning"] == "verified"
    assert result["record"]["manifestation"]["full_name"] == "Sam Lindqvist"
    assert (result["step_status"], result["steps_done"]) == ("done", 1)
    assert stored_records(ebr, batch_id, "line-clearance") == [
        ("performed", "olga"),
        ("verified", "sam"),
    ]
    again = assert_error(
        await verify(ebr, "quinn", batch_id, "line-clearance"), 409, "not_awaiting_verification"
    )
    assert "already verified" in again["message"]


async def test_verifying_what_is_not_done_or_needs_no_verification_is_409(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    error = assert_error(
        await verify(ebr, "sam", batch_id, "line-clearance"), 409, "not_awaiting_verification"
    )
    assert "is not done yet" in error["message"]
    await run_steps(ebr, batch_id, 0, 3)
    assert_error(
        await verify(ebr, "sam", batch_id, "close-blender"), 409, "verification_not_required"
    )


async def test_after_the_last_step_the_batch_awaits_review_everywhere(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    await run_steps(ebr, batch_id)

    listed = await ebr.get("quinn", "/api/batches", params={"status": "awaiting_review"})
    mine = [b for b in listed.json() if b["batch_id"] == batch_id]
    assert len(mine) == 1
    assert (mine[0]["steps_done"], mine[0]["steps_total"]) == (6, 6)
    assert mine[0]["completed_at"] is not None

    error = assert_error(
        await complete(ebr, "olga", batch_id, "line-clearance", CLEARANCE), 409, "batch_not_active"
    )
    assert error["details"] == {"status": "awaiting_review"}
    assert "awaiting review" in error["message"]

    query = f'EbrBatchStatus="awaiting_review" AND WorkflowId="{batch_id}"'
    found: list[str] = []
    for _ in range(50):  # visibility is eventually consistent
        found = [w.id async for w in ebr.temporal.list_workflows(query)]
        if found:
            break
        await asyncio.sleep(0.2)
    assert found == [batch_id]


async def test_two_users_completing_the_same_step_at_once_make_one_record(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    answers = await asyncio.gather(
        complete(ebr, "olga", batch_id, "line-clearance", CLEARANCE),
        complete(ebr, "omar", batch_id, "line-clearance", CLEARANCE),
    )
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    winner = next(a for a in answers if a.status_code == 200).json()["record"]
    loser = next(a for a in answers if a.status_code == 409).json()
    assert loser["error"] in {"step_in_progress", "step_already_done"}, loser
    assert stored_records(ebr, batch_id, "line-clearance") == [
        ("performed", winner["manifestation"]["user_id"])
    ]
    batch = (await ebr.get("aude", f"/api/batches/{batch_id}")).json()
    assert batch["steps"][0]["records"] == [winner]
