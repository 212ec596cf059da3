"""Correcting a step's values over HTTP: a new signed record with a reason that points at the
original, which stays as it was; a verified step awaits verification again; refused without a
reason, before the step is done, or by someone who may not correct it."""

from __future__ import annotations

from typing import Any

import pytest

from ebr.store.db import session_scope
from ebr.store.signed_records import list_batch_records
from tests.api.harness import Ebr
from tests.api.people import audit_entries
from tests.api.steps import assert_error, correct, run_steps, started, verify

pytestmark = pytest.mark.e2e

STEP = "weigh-powder"
WEIGHED = {"powder-lot": "PWD-0042", "powder-mass": "10.01"}
CORRECTED = {"powder-lot": "PWD-0042", "powder-mass": "10.03"}
REASON = "balance read before it settled; reweighed"


def stored(ebr: Ebr, batch_id: str) -> list[tuple[str, str, str, str | None]]:
    with session_scope(ebr.engine) as session:
        rows = list_batch_records(session=session, batch_id=batch_id)
    return [(r.subject_id, r.meaning, r.user_id, r.corrects) for r in rows]


async def records(ebr: Ebr, batch_id: str) -> list[dict[str, Any]]:
    answer = await ebr.get("quinn", f"/api/batches/{batch_id}/records")
    assert answer.status_code == 200, answer.text
    listed: list[dict[str, Any]] = answer.json()
    return listed


def mass(record: dict[str, Any]) -> Any:
    return next(v["value"] for v in record["values"] if v["name"] == "powder-mass")


async def test_a_correction_is_a_new_signed_record_the_original_stays_and_it_is_verified_again(
    ebr: Ebr,
) -> None:
    batch_id = await started(ebr)
    await run_steps(ebr, batch_id, 0, 2)
    before = await records(ebr, batch_id)
    original = next(r for r in before if (r["step_id"], r["meaning"]) == (STEP, "performed"))

    answer = await correct(ebr, "olga", batch_id, STEP, CORRECTED, reason=REASON)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    correction = result["record"]
    assert correction["meaning"] == correction["manifestation"]["meaning"] == "corrected"
    assert correction["corrects"] == original["record_id"]
    assert correction["reason"] == REASON
    assert correction["record_id"] == f"{batch_id}/{STEP}/1/corrected/{correction['seq']}"
    assert mass(correction) == "10.03"
    assert correction["signed"] is not None
    # The verification stood on values its verifier never saw: the step awaits a new one.
    assert (result["step_status"], result["steps_done"]) == ("awaiting_verification", 1)

    after = await records(ebr, batch_id)
    assert after[: len(before)] == before, "every earlier record is exactly as it was"
    assert after[len(before) :] == [correction]
    assert mass(original) == "10.01"
    assert correction["signed"]["prev_hash"] == before[-1]["signed"]["record_hash"]
    detail = (await ebr.get("aude", f"/api/batches/{batch_id}")).json()
    shown = next(s for s in detail["steps"] if s["step_id"] == STEP)["records"]
    assert [r["meaning"] for r in shown] == ["performed", "verified", "corrected"]

    trail = await audit_entries(ebr, batch_id=batch_id, entity="signed_record")
    corrected = [e for e in trail if e["action"] == "record_corrected"]
    assert len(corrected) == 1
    entry = corrected[0]
    assert (entry["actor"], entry["entity_id"], entry["reason"]) == (
        "olga",
        correction["record_id"],
        REASON,
    )
    assert {v["name"]: v["value"] for v in entry["old_value"]}["powder-mass"] == "10.01"
    assert {v["name"]: v["value"] for v in entry["new_value"]["values"]}["powder-mass"] == "10.03"

    # Verified again by someone who entered none of its values, on the chain after the
    # correction, naming it; then the batch goes on.
    answer = await verify(ebr, "quinn", batch_id, STEP)
    assert answer.status_code == 200, answer.text
    verified = answer.json()["record"]
    assert verified["signed"]["prev_hash"] == correction["signed"]["record_hash"]
    assert verified["detail"] == {"verifies": correction["record_id"]}
    assert (answer.json()["step_status"], answer.json()["steps_done"]) == ("done", 2)
    await run_steps(ebr, batch_id, 2, 3)
    newest = (await records(ebr, batch_id))[-1]
    assert newest["signed"]["prev_hash"] == verified["signed"]["record_hash"]


async def test_a_supervisor_may_correct_another_persons_entry(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    await run_steps(ebr, batch_id, 0, 2)
    answer = await correct(ebr, "sam", batch_id, STEP, CORRECTED)
    assert answer.status_code == 200, answer.text
    assert answer.json()["record"]["manifestation"]["user_id"] == "sam"


async def test_a_correction_needs_a_reason(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    await run_steps(ebr, batch_id, 0, 2)
    count = len(stored(ebr, batch_id))
    missing = assert_error(
        await correct(ebr, "olga", batch_id, STEP, CORRECTED, reason=None), 422, "invalid_request"
    )
    assert [d["field"] for d in missing["details"]] == ["reason"]
    empty = assert_error(
        await correct(ebr, "olga", batch_id, STEP, CORRECTED, reason=""), 422, "invalid_request"
    )
    assert [d["field"] for d in empty["details"]] == ["reason"]
    blank = assert_error(
        await correct(ebr, "olga", batch_id, STEP, CORRECTED, reason="  "), 422, "reason_required"
    )
    assert blank["details"] == {"field": "reason"}
    assert len(stored(ebr, batch_id)) == count


async def test_correcting_a_step_not_yet_done_is_409(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    await run_steps(ebr, batch_id, 0, 1)
    error = assert_error(
        await correct(ebr, "olga", batch_id, STEP, CORRECTED), 409, "nothing_to_correct"
    )
    assert error["details"] == {"step_id": STEP}
    assert [m for s, m, *_ in stored(ebr, batch_id) if s == STEP] == []


async def test_another_operator_may_not_correct_the_entry(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    await run_steps(ebr, batch_id, 0, 2)
    error = assert_error(
        await correct(ebr, "omar", batch_id, STEP, CORRECTED), 403, "role_not_allowed"
    )
    assert error["details"] == {"step_id": STEP, "allowed_roles": ["qa", "supervisor"]}
    assert "olga" in error["message"]
    assert [(m, c) for s, m, _, c in stored(ebr, batch_id) if s == STEP] == [
        ("performed", None),
        ("verified", None),
    ]


async def test_corrected_values_are_checked_like_entered_ones(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    await run_steps(ebr, batch_id, 0, 2)
    count = len(stored(ebr, batch_id))
    error = assert_error(
        await correct(ebr, "olga", batch_id, STEP, {"powder-lot": "PWD-0042"}),
        422,
        "invalid_values",
    )
    assert [d["field"] for d in error["details"]] == ["powder-mass"]
    assert len(stored(ebr, batch_id)) == count
