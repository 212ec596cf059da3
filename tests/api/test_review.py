"""Review by exception over HTTP: only the exceptions, QA's marks (audited, once each), and a
batch with none saying so."""

from __future__ import annotations

import pytest

from tests.api.decisions import (
    MIX,
    closed_by_accept,
    complete_with,
    mark,
    review,
    with_out_of_limit_mix,
)
from tests.api.harness import Ebr
from tests.api.people import audit_entries
from tests.api.steps import assert_error, correct, run_steps, started

pytestmark = pytest.mark.e2e


async def test_a_batch_without_exceptions_says_so(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    await run_steps(ebr, batch_id)
    found = await review(ebr, batch_id, user="aude")
    assert (found["none"], found["exceptions"], found["unreviewed"]) == (True, [], 0)
    assert found["message"] == "The batch's execution had no exception."
    assert found["status"] == "awaiting_review"
    assert found["release_blocked"] == []


async def test_the_review_lists_only_the_exceptions_and_qa_marks_each_once(ebr: Ebr) -> None:
    batch_id, dev = await with_out_of_limit_mix(ebr)
    found = await review(ebr, batch_id)
    assert found["none"] is False
    kinds = {item["kind"]: item for item in found["exceptions"]}
    assert set(kinds) == {"out_of_limit", "deviation"}
    value = kinds["out_of_limit"]
    assert value["id"] == f"out_of_limit:{batch_id}/mix/1/performed:mix-time"
    assert (value["step_id"], value["execution"], value["reviewed"]) == ("mix", 1, False)
    assert "timer slipped" in value["summary"], "the operator's comment is shown with the value"
    assert kinds["deviation"]["id"] == f"deviation:{dev['id']}"
    blocked = {
        (b["kind"], b.get("step_id") or b.get("deviation_id") or b.get("exception_id"))
        for b in found["release_blocked"]
    }
    assert ("deviation_open", dev["id"]) in blocked
    assert ("step_not_done", "blend-moisture") in blocked
    assert ("exception_unreviewed", value["id"]) in blocked

    assert_error(await mark(ebr, batch_id, value["id"], user="olga"), 403, "role_not_allowed")
    assert_error(await mark(ebr, batch_id, "comment:nope"), 404, "unknown_exception")
    answer = await mark(ebr, batch_id, value["id"], comment="operator retrained")
    assert answer.status_code == 200, answer.text
    marked = answer.json()
    assert (marked["mark"]["by"], marked["mark"]["comment"], marked["unreviewed"]) == (
        "quinn",
        "operator retrained",
        1,
    )
    assert marked["exception"]["id"] == value["id"]
    assert_error(await mark(ebr, batch_id, value["id"]), 409, "already_reviewed")
    # The id may also be sent as it is: the rest of the path is the id.
    raw = await ebr.post("quinn", f"/api/batches/{batch_id}/review/{value['id']}", json={})
    assert_error(raw, 409, "already_reviewed")

    after = {item["id"]: item for item in (await review(ebr, batch_id))["exceptions"]}
    assert after[value["id"]]["reviewed"] is True
    assert (after[value["id"]]["reviewed_by"], after[value["id"]]["review_comment"]) == (
        "quinn",
        "operator retrained",
    )
    assert after[f"deviation:{dev['id']}"]["reviewed"] is False
    entries = await audit_entries(ebr, batch_id=batch_id, entity="review")
    assert [(e["action"], e["actor"], e["entity_id"]) for e in entries] == [
        ("exception_reviewed", "quinn", value["id"])
    ]


async def test_holds_corrections_and_comments_are_exceptions(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    await run_steps(ebr, batch_id, stop=2)
    answer = await complete_with(ebr, "olga", batch_id, "close-blender", {}, "lid stiff")
    assert answer.status_code == 200, answer.text
    fixed = {"powder-lot": "PWD-0042", "powder-mass": "10.03"}
    answer = await correct(ebr, "olga", batch_id, "weigh-powder", fixed)
    assert answer.status_code == 200, answer.text
    correction_id = answer.json()["record"]["record_id"]
    placed = await ebr.post("sam", f"/api/batches/{batch_id}/hold", json={"reason": "spill"})
    hold_id = placed.json()["hold_id"]

    found = await review(ebr, batch_id)
    by_kind = {item["kind"]: item for item in found["exceptions"]}
    assert set(by_kind) == {"comment", "correction", "hold"}
    assert by_kind["comment"]["id"] == f"comment:{batch_id}/close-blender/1/performed"
    assert "lid stiff" in by_kind["comment"]["summary"]
    assert by_kind["correction"]["id"] == f"correction:{correction_id}"
    assert by_kind["hold"]["id"] == f"hold:{hold_id}"
    assert "still active" in by_kind["hold"]["summary"]
    assert {"kind": "hold_active", "hold_id": hold_id} in found["release_blocked"]
    answer = await ebr.get("quinn", "/api/batches/B-NOPE/review")
    assert_error(answer, 404, "batch_not_found")


async def test_a_closed_deviation_leaves_its_exceptions_to_review(ebr: Ebr) -> None:
    batch_id, dev = await with_out_of_limit_mix(ebr)
    await closed_by_accept(ebr, batch_id, dev["id"])
    await run_steps(ebr, batch_id, first=MIX + 1)
    found = await review(ebr, batch_id)
    assert found["status"] == "awaiting_review"
    assert {b["kind"] for b in found["release_blocked"]} == {"exception_unreviewed"}
    assert len(found["release_blocked"]) == found["unreviewed"] == 2
