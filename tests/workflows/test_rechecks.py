"""Re-checks through BatchWorkflow (issue 13): a correction of a verified step returns it to
awaiting verification by a third person; a critical input is verified even when its recipe step
says ``verify: false``; QA's classification of a deviation is a signed decision with a reason, and
one below the rules' class is an exception QA marks before release."""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from ebr.domain.batch import Actor, BatchStatus, StepStatus
from ebr.domain.deviations import Stage
from ebr.domain.meanings import Meaning
from ebr.domain.recipe import Recipe
from ebr.domain.recipe_loading import recipe_from_data
from ebr.domain.roles import Role
from ebr.domain.subjects import deviation_subject
from ebr.report.loading import load_history
from ebr.store.batches import get_batch
from ebr.store.db import session_scope
from ebr.store.signed_records import list_batch_records
from tests.factories import OPERATOR, OPERATOR_2, QA, SUPERVISOR, _step, small_recipe
from tests.signing import Desk
from tests.workflows.conftest import Plant
from tests.workflows.exceptions_kit import QA_2, Bench, fresh_clock, open_bench, refused

workflow_env = pytest.fixture(fresh_clock)

SUPERVISOR_2 = Actor(
    user_id="sue", full_name="Sue Supervisor", roles=(Role.SUPERVISOR,), station="office"
)
CRITICAL = small_recipe()  # weigh-api: weight 24.5-25.5 kg, a critical parameter


def recheck_recipe() -> Recipe:
    """A verified weighing; a dosing whose critical input the recipe does not ask to verify; a
    note."""
    weight = {"name": "weight", "label": "Net weight", "type": "number", "unit": "kg",
              "min": 24.5, "max": 25.5}  # fmt: skip
    dose = {"name": "dose", "label": "Dose", "type": "number", "unit": "g", "min": 9, "max": 11,
            "critical": True}  # fmt: skip
    steps: list[dict[str, Any]] = [
        _step("weigh", "record", verify=True, inputs=[weight]),
        _step("dose", "record", verify=False, inputs=[dose]),
        _step("note", "record", inputs=[{"name": "remark", "label": "R", "type": "text"}]),
    ]
    return recipe_from_data(
        {
            "code": "TEST-RECHECK",
            "version": 1,
            "name": "Re-check test",
            "product": {"code": "RC-1", "name": "Re-checked product"},
            "batch_size": {"value": "10", "unit": "kg"},
            "procedure": [
                {"id": "u", "name": "U", "operations": [{"id": "o", "name": "O", "steps": steps}]}
            ],
        }
    )


RECHECK = recheck_recipe()


def enrolled(desk: Desk) -> Desk:
    """Everyone's key and certificate made before anyone signs (a certificate is valid from the
    second it was issued in: one issued on the spot could postdate the signing time)."""
    for actor in (OPERATOR, OPERATOR_2, SUPERVISOR, SUPERVISOR_2, QA, QA_2):
        desk.enrol(actor)
    return desk


def stored_progress(bench: Bench) -> tuple[str, int]:
    with session_scope(bench.plant.engine) as session:
        row = get_batch(session=session, batch_id=bench.batch_id)
        assert row is not None
        return row.status, row.steps_done


async def test_a_correction_of_a_verified_step_needs_a_third_persons_verification(
    plant: Plant, workflow_env: WorkflowEnvironment, desk: Desk
) -> None:
    bench = await open_bench(plant, workflow_env, enrolled(desk), RECHECK, prefix="B-RCV")
    await bench.sign("weigh", OPERATOR, entered={"weight": "25.0"})
    await bench.sign("weigh", SUPERVISOR, Meaning.VERIFIED)
    assert stored_progress(bench) == ("in_progress", 1)

    corrected = await bench.sign(
        "weigh", SUPERVISOR_2, Meaning.CORRECTED, {"weight": "25.2"}, reason="misread"
    )
    assert corrected.progress is not None
    assert corrected.progress.status is StepStatus.AWAITING_VERIFICATION
    assert corrected.steps_done == 0 and stored_progress(bench) == ("in_progress", 0)
    # Nothing goes on until it is verified again, and the batch cannot be released meanwhile.
    later = await refused(bench.sign("dose", OPERATOR, entered={"dose": "10"}))
    assert later.type == "step_out_of_order"
    assert "'weigh' must be verified by a second person" in later.message
    blocked = await refused(bench.release(QA_2))
    assert blocked.type == "release_blocked"
    assert {"kind": "step_not_done", "step_id": "weigh", "status": "awaiting_verification"} in (
        blocked.details[0]["details"]["missing"]
    )

    by_corrector = await refused(bench.sign("weigh", SUPERVISOR_2, Meaning.VERIFIED))
    assert by_corrector.type == "verifier_is_corrector" and "corrected by sue" in (
        by_corrector.message
    )
    by_performer = await refused(bench.sign("weigh", OPERATOR, Meaning.VERIFIED))
    assert by_performer.type == "verifier_is_performer"
    # A verification signed on the values as they were before the correction is refused.
    unread = await refused(bench.sign("weigh", QA, Meaning.VERIFIED, unread=True))
    assert unread.type == "values_corrected"
    assert unread.details[0]["details"] == {
        "step_id": "weigh",
        "verifies": corrected.record.record_id,
    }
    # Signed unread, then made to name the correction: the signature does not cover it.
    named = {"detail": {"verifies": corrected.record.record_id}}
    forged = await refused(
        bench.sign("weigh", QA, Meaning.VERIFIED, unread=True, payload_changes=named)
    )
    assert forged.type == "bad_signature"
    assert [m for s, _, m in bench.records() if s == "weigh"] == [
        "performed",
        "verified",
        "corrected",
    ], "the refusals wrote nothing"

    again = await bench.sign("weigh", QA, Meaning.VERIFIED)
    assert again.progress is not None and again.progress.status is StepStatus.DONE
    assert again.record.detail == {"verifies": corrected.record.record_id}
    assert again.record.record_id == f"{bench.batch_id}/weigh/1/verified/{again.record.seq}"
    assert stored_progress(bench) == ("in_progress", 1)

    # A critical input the recipe does not ask to verify is verified all the same.
    dosed = await bench.sign("dose", OPERATOR, entered={"dose": "10"})
    assert dosed.progress is not None
    assert dosed.progress.status is StepStatus.AWAITING_VERIFICATION
    assert (await refused(bench.sign("note", OPERATOR, entered={"remark": "ok"}))).type == (
        "step_out_of_order"
    )
    await bench.sign("dose", OPERATOR_2, Meaning.VERIFIED)
    await bench.sign("note", OPERATOR, entered={"remark": "ok"})
    assert await bench.status() is BatchStatus.AWAITING_REVIEW

    kinds = sorted(e.kind.value for e in bench.review().exceptions)
    assert kinds == ["correction"]
    await bench.mark_all(QA)
    await bench.release(QA_2)
    assert (await bench.handle.result()).status is BatchStatus.RELEASED


async def critical_deviation(bench: Bench) -> str:
    """A critical value out of limits (a deviation the rules class critical, holding the batch),
    investigated."""
    await bench.sign("read-sop", OPERATOR)
    await bench.sign("weigh-api", OPERATOR, entered={"weight": "27.0"}, comment="spilled")
    dev_id = f"{bench.batch_id}-DEV-001"
    await bench.investigate(dev_id, SUPERVISOR, "weigh-api")
    return dev_id


async def test_a_classification_is_signed_with_a_reason_and_a_downgrade_is_reviewed(
    plant: Plant, workflow_env: WorkflowEnvironment, desk: Desk
) -> None:
    bench = await open_bench(plant, workflow_env, enrolled(desk), CRITICAL, prefix="B-RCC")
    dev_id = await critical_deviation(bench)
    subject = deviation_subject(dev_id)
    count = len(bench.records())

    no_reason = await refused(bench.classify(dev_id, QA, "minor", reason="  "))
    assert no_reason.type == "reason_required"
    assert "minor is below the class the rules gave it (critical)" in no_reason.message
    by_supervisor = await refused(bench.classify(dev_id, SUPERVISOR, "minor"))
    assert by_supervisor.type == "role_not_allowed"
    as_disposition = await refused(
        bench.decide(subject, QA, Meaning.APPROVED, reason="x", detail={"classification": "minor"})
    )
    assert as_disposition.type == "payload_mismatch"
    as_release = await refused(
        bench.decide(subject, QA, Meaning.RELEASED, reason="x", detail={"classification": "minor"})
    )
    assert as_release.type == "payload_mismatch"
    # Tampered after signing: the class changed, the signature no longer matches.
    forged = await refused(
        bench.decide(
            subject,
            QA,
            Meaning.CLASSIFIED,
            reason="looked at it",
            detail={"classification": "critical"},
            payload_changes={"detail": {"classification": "minor"}},
        )
    )
    assert forged.type == "bad_signature"
    assert len(bench.records()) == count, "nothing refused was recorded"
    assert await bench.status() is BatchStatus.ON_HOLD

    classified = await bench.classify(dev_id, QA, "minor", reason="spill recovered, re-weighed")
    assert classified.record.record_id == f"{bench.batch_id}/deviation:{dev_id}/classified"
    assert classified.record.meaning is Meaning.CLASSIFIED
    assert classified.deviation is not None and classified.deviation.below_rules
    assert classified.batch_status is BatchStatus.IN_PROGRESS, "a minor one lifts the hold"
    (dev,) = bench.events().deviations
    assert (dev.stage, dev.classification_reason) == (
        Stage.CLASSIFIED,
        "spill recovered, re-weighed",
    )
    twice = await refused(bench.classify(dev_id, QA, "major"))
    assert twice.type == "deviation_state"

    exception = next(e for e in bench.review().exceptions if e.kind.value == "classification")
    assert exception.id == f"classification:{dev_id}"
    assert "below the class the rules gave it (critical)" in exception.summary
    assert "spill recovered" in exception.summary

    await bench.sign("weigh-api", OPERATOR, Meaning.CORRECTED, {"weight": "25.0"}, reason="redo")
    await bench.sign("weigh-api", SUPERVISOR, Meaning.VERIFIED)
    for step_id, entered in (("clean-check", {"clean": True}), ("note", {"remark": "ok"})):
        await bench.sign(step_id, OPERATOR, entered=entered)
        if step_id == "clean-check":
            await bench.sign("mixer", SUPERVISOR, entered={"speed": "low"})
    await bench.dispose(dev_id, QA, "accept")
    assert await bench.status() is BatchStatus.AWAITING_REVIEW
    for item in bench.review().exceptions:
        if item.id != exception.id:
            await bench.mark(item.id, QA)
    blocked = await refused(bench.release(QA_2))
    assert blocked.type == "release_blocked"
    assert blocked.details[0]["details"]["missing"] == [
        {
            "kind": "exception_unreviewed",
            "exception_id": exception.id,
            "exception_kind": "classification",
        }  # fmt: skip
    ]
    await bench.mark(exception.id, QA)
    await bench.release(QA_2)
    assert (await bench.handle.result()).status is BatchStatus.RELEASED

    with session_scope(plant.engine) as session:
        history = load_history(session=session, batch_id=bench.batch_id)
        rows = list_batch_records(session=session, batch_id=bench.batch_id)
    (shown,) = history.deviations
    assert shown.classification is not None and shown.decision is not None
    assert shown.classification.reason == "spill recovered, re-weighed"
    assert shown.below_rules and "below the class the rules gave it (critical)" in shown.below_rules
    assert any(r.subject_id == dev_id and r.meaning == "classified" for r in rows)
