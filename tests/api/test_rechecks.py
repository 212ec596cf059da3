"""Re-checks over HTTP (issue 13): a correction of a verified step returns it to awaiting
verification by a third person (release blocked meanwhile); a critical input is verified even
when its recipe step says ``verify: false``; QA's classification of a deviation is signed with a
reason, and one below the rules' class is a review exception, marked before release and shown in
the final report."""

from __future__ import annotations

import asyncio
from io import BytesIO
from typing import Any

import pytest
from pypdf import PdfReader

from ebr.report.verify_pdf import verify_report_pdf
from ebr.store.db import session_scope
from ebr.store.signed_records import list_batch_records
from tests.api.decisions import (
    batch,
    classify,
    complete_with,
    deviations,
    disposition,
    investigate,
    mark,
    mark_all,
    release,
    review,
)
from tests.api.harness import Ebr, sign
from tests.api.steps import DEMO_SHORT, assert_error, complete, correct, run_steps, started, verify

pytestmark = pytest.mark.e2e

WEIGH = "weigh-powder"  # verify: true, powder-mass critical
MOISTURE = "blend-moisture"  # verify: false in the recipe, lod critical
REWEIGHED = {"powder-lot": "PWD-0042", "powder-mass": "10.03"}


def step(detail: dict[str, Any], step_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in detail["steps"] if s["step_id"] == step_id)
    return found


def stored_meanings(ebr: Ebr, batch_id: str, subject_id: str) -> list[str]:
    with session_scope(ebr.engine) as session:
        rows = list_batch_records(session=session, batch_id=batch_id)
    return [r.meaning for r in rows if r.subject_id == subject_id]


async def test_a_corrected_verified_step_awaits_a_third_persons_verification(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    await run_steps(ebr, batch_id, stop=2)  # olga performed weigh-powder, sam verified it

    answer = await correct(ebr, "quinn", batch_id, WEIGH, REWEIGHED, reason="balance drifted")
    assert answer.status_code == 200, answer.text
    corrected = answer.json()
    assert (corrected["step_status"], corrected["steps_done"]) == ("awaiting_verification", 1)
    shown = await batch(ebr, batch_id)
    assert step(shown, WEIGH)["status"] == "awaiting_verification"
    assert (shown["next_step"], shown["steps_done"]) == (WEIGH, 1)

    blocked = assert_error(await complete(ebr, "olga", batch_id, "close-blender"), 409, (
        "step_out_of_order"))  # fmt: skip
    assert f"'{WEIGH}' must be verified by a second person" in blocked["message"]
    refused = assert_error(await release(ebr, batch_id), 409, "release_blocked")
    assert {"kind": "step_not_done", "step_id": WEIGH, "status": "awaiting_verification"} in (
        refused["details"]["missing"]
    )
    by_corrector = assert_error(
        await verify(ebr, "quinn", batch_id, WEIGH), 403, "verifier_is_corrector"
    )
    assert "corrected by quinn" in by_corrector["message"]
    assert by_corrector["details"] == {"step_id": WEIGH, "corrected_by": ["quinn"]}
    assert_error(await verify(ebr, "olga", batch_id, WEIGH), 403, "verifier_is_performer")
    assert stored_meanings(ebr, batch_id, WEIGH) == ["performed", "verified", "corrected"]

    answer = await verify(ebr, "sam", batch_id, WEIGH)
    assert answer.status_code == 200, answer.text
    again = answer.json()
    record = again["record"]
    assert (again["step_status"], again["steps_done"]) == ("done", 2)
    assert record["detail"] == {"verifies": corrected["record"]["record_id"]}
    assert record["record_id"] == f"{batch_id}/{WEIGH}/1/verified/{record['seq']}"
    assert '"verifies":' in record["signed"]["payload"], "the verifier signed what they verified"

    await run_steps(ebr, batch_id, first=2)
    assert (await batch(ebr, batch_id))["status"] == "awaiting_review"
    kinds = [e["kind"] for e in (await review(ebr, batch_id))["exceptions"]]
    assert kinds == ["correction"]
    await mark_all(ebr, batch_id)
    answer = await release(ebr, batch_id)
    assert answer.status_code == 200, answer.text


async def test_a_critical_input_is_verified_though_the_recipe_says_verify_false(
    ebr: Ebr,
) -> None:
    batch_id = await started(ebr)
    await run_steps(ebr, batch_id, stop=4)
    detail = await batch(ebr, batch_id)
    assert (step(detail, MOISTURE)["verify"], step(detail, MOISTURE)["verify_reason"]) == (
        True,
        "critical input: Loss on drying",
    )
    assert (step(detail, "mix")["verify"], step(detail, "mix")["verify_reason"]) == (False, None)
    assert step(detail, WEIGH)["verify_reason"] == "critical input: Net mass of powder"

    _, user, values, _ = DEMO_SHORT[4]
    answer = await complete(ebr, user, batch_id, MOISTURE, values)
    assert answer.status_code == 200, answer.text
    assert answer.json()["step_status"] == "awaiting_verification"
    assert_error(
        await complete(ebr, "quinn", batch_id, "qa-release", {"released": True}),
        409,
        "step_out_of_order",
    )
    assert_error(await verify(ebr, "olga", batch_id, MOISTURE), 403, "verifier_is_performer")
    answer = await verify(ebr, "omar", batch_id, MOISTURE)
    assert answer.status_code == 200, answer.text
    assert answer.json()["step_status"] == "done"
    assert_error(await verify(ebr, "sam", batch_id, "mix"), 409, "verification_not_required")


async def critical_deviation(ebr: Ebr) -> tuple[str, str]:
    """A batch held by the deviation a critical value out of limits opened (the rules class it
    critical), investigated."""
    batch_id = await started(ebr)
    await run_steps(ebr, batch_id, stop=1)
    _, user, values, _ = DEMO_SHORT[1]
    heavy = {**values, "powder-mass": "10.2"}
    answer = await complete_with(ebr, user, batch_id, WEIGH, heavy, "scale drift")
    assert answer.status_code == 200, answer.text
    [dev] = await deviations(ebr, batch_id)
    assert (await investigate(ebr, batch_id, dev["id"])).status_code == 200
    return batch_id, dev["id"]


async def test_a_classification_is_signed_with_a_reason(ebr: Ebr) -> None:
    batch_id, dev_id = await critical_deviation(ebr)
    missing = assert_error(
        await classify(ebr, batch_id, dev_id, reason=None), 422, "invalid_request"
    )
    assert [d["field"] for d in missing["details"]] == ["reason"]
    blank = assert_error(await classify(ebr, batch_id, dev_id, reason="  "), 422, "reason_required")
    assert "minor is below the class the rules gave it (critical)" in blank["message"]
    unsigned = await ebr.post(
        "quinn",
        f"/api/batches/{batch_id}/deviations/{dev_id}/classify",
        json={"classification": "minor", "reason": "fine"},
    )
    assert [d["field"] for d in assert_error(unsigned, 422, "invalid_request")["details"]] == [
        "signature"
    ]
    wrong = assert_error(
        await classify(ebr, batch_id, dev_id, signature=sign("quinn", "approved")),
        422,
        "wrong_meaning",
    )
    assert wrong["details"] == {"field": "signature.meaning"}
    assert_error(await classify(ebr, batch_id, dev_id, user="sam"), 403, "role_not_allowed")
    assert stored_meanings(ebr, batch_id, dev_id) == [], "nothing refused was signed"
    assert (await batch(ebr, batch_id))["status"] == "on_hold"

    answer = await classify(
        ebr, batch_id, dev_id, classification="critical", reason="the mass is out"
    )
    assert answer.status_code == 200, answer.text
    record = answer.json()["record"]
    assert (record["step_id"], record["meaning"], record["reason"]) == (
        f"@deviation:{dev_id}",
        "classified",
        "the mass is out",
    )
    assert record["detail"] == {"classification": "critical"}
    assert answer.json()["deviation"]["classification_reason"] == "the mass is out"
    assert [e["kind"] for e in (await review(ebr, batch_id))["exceptions"]].count(
        "classification"
    ) == 0, "as the rules class it: no exception"
    again = await classify(ebr, batch_id, dev_id, classification="minor", reason="second thoughts")
    assert_error(again, 409, "deviation_state")


async def test_a_downgrade_is_reviewed_before_release_and_shown_in_the_report(ebr: Ebr) -> None:
    batch_id, dev_id = await critical_deviation(ebr)
    why = "re-weighed at once; the first reading was a draught on the balance"
    answer = await classify(ebr, batch_id, dev_id, classification="minor", reason=why)
    assert answer.status_code == 200, answer.text
    assert answer.json()["batch_status"] == "in_progress", "a minor class lifts the hold"

    exceptions = (await review(ebr, batch_id))["exceptions"]
    downgrade = next(e for e in exceptions if e["kind"] == "classification")
    assert downgrade["id"] == f"classification:{dev_id}"
    assert "below the class the rules gave it (critical)" in downgrade["summary"]
    assert why in downgrade["summary"]

    fixed = await correct(ebr, "olga", batch_id, WEIGH, REWEIGHED, reason="re-weighed")
    assert fixed.status_code == 200, fixed.text
    assert (await verify(ebr, "sam", batch_id, WEIGH)).status_code == 200
    await run_steps(ebr, batch_id, first=2)
    assert (await disposition(ebr, batch_id, dev_id)).status_code == 200
    for item in (await review(ebr, batch_id))["exceptions"]:
        if item["id"] != downgrade["id"]:
            assert (await mark(ebr, batch_id, item["id"])).status_code == 200
    refused = assert_error(await release(ebr, batch_id), 409, "release_blocked")
    assert refused["details"]["missing"] == [
        {
            "kind": "exception_unreviewed",
            "exception_id": downgrade["id"],
            "exception_kind": "classification",
        }  # fmt: skip
    ]
    assert (await mark(ebr, batch_id, downgrade["id"])).status_code == 200
    assert (await release(ebr, batch_id)).status_code == 200

    report = await ebr.get("quinn", f"/api/batches/{batch_id}/report.pdf")
    assert report.status_code == 200, report.text
    text = " ".join(
        " ".join((p.extract_text() or "").split()) for p in PdfReader(BytesIO(report.content)).pages
    )
    assert f"Signed classification of {dev_id}: Classified by Quinn Moreau (quinn)" in text
    assert "below the class the rules gave it (critical)" in text
    # verify-pdf finds the classification, with its reason, in the deviations section
    checked = await asyncio.to_thread(verify_report_pdf, report.content, ebr.trust.ca.certificate)
    assert checked.batch_number == batch_id
