"""Holds over HTTP: a supervisor or QA holds a batch with a reason; only QA lifts it, with a
signature (meaning ``approved``) recorded in the batch's signed record."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ebr.domain.batch import BatchHeader, BatchStatus
from ebr.domain.roles import Role
from ebr.store.audit import list_audit
from ebr.store.db import session_scope
from ebr.store.recipes import get_recipe, recipe_of
from ebr.trust import SiteTrust
from tests.api.decisions import lift
from tests.api.harness import Ebr
from tests.api.steps import DEMO_SHORT, assert_error, batch_number, complete, run_steps, started
from tests.people import new_user
from workflows.batch import BatchWorkflow, search_attributes_for
from workflows.messages import StartBatch

pytestmark = pytest.mark.e2e

PASSWORD = "a-qa-password-of-22-chars"


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

    assert_error(await lift(ebr, batch_id, user="sam"), 403, "role_not_allowed")
    answer = await lift(ebr, batch_id)
    assert answer.status_code == 200, answer.text
    lifted = answer.json()
    assert (lifted["lifted_by"], lifted["lift_reason"], lifted["batch_status"]) == (
        "quinn",
        "cleaned up",
        "in_progress",
    )
    records = (await ebr.get("aude", f"/api/batches/{batch_id}/records")).json()
    signed_lift = records[-1]
    assert (signed_lift["step_id"], signed_lift["meaning"], signed_lift["reason"]) == (
        f"@hold:{placed['hold_id']}",
        "approved",
        "cleaned up",
    )
    assert signed_lift["manifestation"]["user_id"] == "quinn"
    assert signed_lift["signed"] is not None
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
    assert_error(await lift(ebr, batch_id), 409, "hold_not_active")
    answer = await ebr.post("quinn", "/api/batches/B-NOPE/hold", json={"reason": "x"})
    assert_error(answer, 404, "batch_not_found")


async def test_lifting_a_hold_needs_qas_signature(ebr: Ebr, trust: SiteTrust) -> None:
    batch_id = await started(ebr)
    placed = await ebr.post("sam", f"/api/batches/{batch_id}/hold", json={"reason": "audit"})
    assert placed.status_code == 200, placed.text
    hold_id = placed.json()["hold_id"]
    qa = new_user(ebr.engine, trust, password=PASSWORD, roles=(Role.QA,), prefix="qa-lift")
    await ebr.token(qa, PASSWORD)
    wrong = await lift(ebr, batch_id, user=qa, password="not-the-password", hold_id=hold_id)
    assert_error(wrong, 401, "signature_refused")
    unsigned = await ebr.post(
        qa, f"/api/batches/{batch_id}/hold/lift", json={"reason": "audit done"}
    )
    body = assert_error(unsigned, 422, "invalid_request")
    assert body["details"][0]["field"] == "signature"
    wrong_meaning = await ebr.post(
        qa,
        f"/api/batches/{batch_id}/hold/lift",
        json={
            "reason": "x",
            "signature": {"meaning": "released", "user_id": qa, "password": PASSWORD},
        },
    )
    assert_error(wrong_meaning, 422, "wrong_meaning")
    assert (await ebr.get("aude", f"/api/batches/{batch_id}")).json()["status"] == "on_hold"
    assert_error(await lift(ebr, batch_id, hold_id="nope"), 404, "unknown_hold")
    assert_error(await lift(ebr, batch_id, reason="   "), 422, "reason_required")

    answer = await lift(ebr, batch_id, user=qa, password=PASSWORD, reason="audit done")
    assert answer.status_code == 200, answer.text
    assert (answer.json()["hold_id"], answer.json()["batch_status"]) == (hold_id, "in_progress")
    assert_error(await lift(ebr, batch_id, hold_id=hold_id), 409, "hold_not_active")
    await run_steps(ebr, batch_id)


async def test_a_batch_from_before_signed_decisions_refuses_the_signed_lift(
    ebr: Ebr, trust: SiteTrust
) -> None:
    """Batches started before signed decisions refuse them (``signature_required``), and the API
    no longer lifts a hold unsigned (that update is leaving the workflow): the hold stays."""
    with session_scope(ebr.engine) as session:
        row = get_recipe(session=session, code="DEMO-SHORT", version=1)
        assert row is not None
        recipe, recipe_hash = recipe_of(row), row.content_hash
    batch_id = batch_number("OLD")
    header = BatchHeader(
        batch_id=batch_id,
        batch_number=batch_id,
        recipe_code=recipe.code,
        recipe_version=recipe.version,
        recipe_hash=recipe_hash,
        product_code=recipe.product.code,
        planned_quantity=recipe.batch_size,
        created_by="sam",
        created_at=datetime.now(UTC),
    )
    handle = await ebr.temporal.start_workflow(
        BatchWorkflow.run,
        StartBatch(header=header, recipe=recipe, signatures_required=False),
        id=batch_id,
        task_queue=ebr.task_queue,
        search_attributes=search_attributes_for(recipe.code, BatchStatus.IN_PROGRESS),
    )
    await handle.execute_update(BatchWorkflow.opened)
    placed = await ebr.post("sam", f"/api/batches/{batch_id}/hold", json={"reason": "old"})
    assert placed.status_code == 200, placed.text
    qa = new_user(ebr.engine, trust, password=PASSWORD, roles=(Role.QA,), prefix="qa-old")
    await ebr.token(qa, PASSWORD)
    wrong = await lift(ebr, batch_id, user=qa, password="wrong-password")
    assert_error(wrong, 401, "signature_refused")
    answer = await lift(ebr, batch_id, user=qa, password=PASSWORD, reason="checked")
    assert_error(answer, 403, "signature_required")
    assert (await ebr.get("aude", f"/api/batches/{batch_id}")).json()["status"] == "on_hold"
    records = (await ebr.get("aude", f"/api/batches/{batch_id}/records")).json()
    assert records == [], "no signed decision in a batch from before them"
    await handle.terminate("test over")
