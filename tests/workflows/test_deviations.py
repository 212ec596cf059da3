"""Deviations through BatchWorkflow and its DeviationWorkflow children, and QA's decisions:
out-of-limit values, holds for major and critical deviations, disposition (accept, rework, reject),
review marks, release and its refusals."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from ebr.domain.batch import BatchStatus, StepStatus
from ebr.domain.deviations import Origin, Stage
from ebr.domain.meanings import Meaning
from ebr.domain.recipe import Recipe
from ebr.domain.recipe_loading import recipe_from_data
from ebr.domain.subjects import batch_subject, deviation_subject, hold_subject
from ebr.store.audit import list_audit
from ebr.store.batches import get_batch
from ebr.store.db import session_scope
from ebr.store.reports import final_report_id, get_report
from tests.cpu_load import cores_busy
from tests.factories import OPERATOR, OPERATOR_2, QA, SUPERVISOR, _step, small_recipe
from tests.signing import Desk
from tests.workflows.conftest import Plant
from tests.workflows.exceptions_kit import QA_2, Bench, fresh_clock, open_bench, refused
from workflows.batch_workflow import BatchWorkflow
from workflows.calls import STATUS_KEY
from workflows.deviation_workflow import DeviationWorkflow
from workflows.messages import OpenDeviationInput, PlaceHoldInput

CRITICAL = small_recipe()  # weigh-api: weight 24.5-25.5 kg, a critical parameter

workflow_env = pytest.fixture(fresh_clock)


def two_step_recipe() -> Recipe:
    """A weighing whose limits are not critical, then a note."""
    weight = {
        "name": "weight",
        "label": "Net weight",
        "type": "number",
        "unit": "kg",
        "min": 24.5,
        "max": 25.5,
    }
    steps: list[dict[str, Any]] = [
        _step("weigh", "record", verify=True, inputs=[weight]),
        _step("note", "record", inputs=[{"name": "remark", "label": "R", "type": "text"}]),
    ]
    return recipe_from_data(
        {
            "code": "TEST-DEV",
            "version": 1,
            "name": "Deviation test",
            "product": {"code": "DEV-1", "name": "Deviation product"},
            "batch_size": {"value": "10", "unit": "kg"},
            "procedure": [
                {
                    "id": "main",
                    "name": "Main",
                    "operations": [{"id": "op", "name": "Op", "steps": steps}],
                }
            ],
        }
    )


MINOR = two_step_recipe()


async def weigh_out_of_limit(bench: Bench, weight: str = "26.0") -> None:
    comment = "scale reads high; value recorded as displayed"
    await bench.sign("weigh", OPERATOR, entered={"weight": weight}, comment=comment)


async def test_an_out_of_limit_value_needs_a_comment_and_opens_a_deviation(
    plant: Plant, workflow_env: WorkflowEnvironment, desk: Desk
) -> None:
    bench = await open_bench(plant, workflow_env, desk, MINOR)
    no_comment = await refused(bench.sign("weigh", OPERATOR, entered={"weight": "26.0"}))
    assert no_comment.type == "comment_required"
    assert bench.records() == []

    await weigh_out_of_limit(bench)
    dev_id = f"{bench.batch_id}-DEV-001"
    dev = await bench.deviation_handle(dev_id).query(DeviationWorkflow.deviation)
    assert (dev.origin, dev.stage, dev.step_id, dev.critical) == (
        Origin.OUT_OF_LIMIT,
        Stage.OPEN,
        "weigh",
        False,
    )
    assert "weight = 26.0 kg" in dev.description
    assert await bench.status() is BatchStatus.IN_PROGRESS  # a non-critical value holds nothing
    stored = bench.events().deviations
    assert [(d.id, d.stage) for d in stored] == [(dev_id, Stage.OPEN)]
    kinds = {e.kind.value for e in bench.review().exceptions}
    assert kinds == {"out_of_limit", "deviation"}


async def test_a_critical_value_holds_the_batch_until_its_deviation_stops_holding(
    plant: Plant, workflow_env: WorkflowEnvironment, desk: Desk
) -> None:
    bench = await open_bench(plant, workflow_env, desk, CRITICAL)
    await bench.sign("read-sop", OPERATOR)
    await bench.sign("weigh-api", OPERATOR, entered={"weight": "27.0"}, comment="spilled")
    assert await bench.status() is BatchStatus.ON_HOLD
    [hold] = bench.events().holds
    dev_id = f"{bench.batch_id}-DEV-001"
    assert hold.deviation_id == dev_id and hold.placed_by == "ebr"
    blocked = await refused(bench.sign("weigh-api", SUPERVISOR, Meaning.VERIFIED))
    assert blocked.type == "batch_on_hold" and dev_id in blocked.message

    await bench.investigate(dev_id, SUPERVISOR, "weigh-api")
    await bench.classify(dev_id, QA, "minor")
    await workflow_env.sleep(1)  # the child's signal reaches the batch
    assert await bench.status() is BatchStatus.IN_PROGRESS
    [lifted] = bench.events().holds
    assert lifted.lifted_by == QA.user_id and "classified minor" in (lifted.lift_reason or "")
    await bench.sign("weigh-api", SUPERVISOR, Meaning.VERIFIED)


async def test_deviation_stages_are_enforced_by_role_and_order(
    plant: Plant, workflow_env: WorkflowEnvironment, desk: Desk
) -> None:
    bench = await open_bench(plant, workflow_env, desk, MINOR)
    await weigh_out_of_limit(bench)
    dev_id = f"{bench.batch_id}-DEV-001"
    assert (await refused(bench.investigate(dev_id, OPERATOR))).type == "role_not_allowed"
    assert (await refused(bench.classify(dev_id, QA, "major"))).type == "deviation_state"
    early = await refused(bench.dispose(dev_id, QA, "accept"))
    assert early.type == "deviation_state"
    await bench.investigate(dev_id, SUPERVISOR, "weigh")
    assert (await refused(bench.classify(dev_id, SUPERVISOR, "major"))).type == "role_not_allowed"
    await bench.classify(dev_id, QA, "major")
    await workflow_env.sleep(1)
    assert await bench.status() is BatchStatus.ON_HOLD  # a major deviation holds the batch
    no_reason = await refused(bench.dispose(dev_id, QA, "accept", reason=" "))
    assert no_reason.type == "reason_required"
    by_operator = await refused(bench.dispose(dev_id, OPERATOR, "accept"))
    assert by_operator.type == "role_not_allowed"
    decided = await bench.dispose(dev_id, QA, "accept", reason="weight within process capability")
    assert decided.deviation is not None and decided.deviation.stage is Stage.CLOSED
    assert decided.record.subject == deviation_subject(dev_id)
    assert decided.record.step_id is None
    assert await bench.status() is BatchStatus.IN_PROGRESS
    assert (await bench.deviation_handle(dev_id).result()).stage is Stage.CLOSED
    assert (await refused(bench.dispose(dev_id, QA, "accept"))).type == "deviation_state"


async def test_release_waits_for_deviations_and_review_and_refuses_executors(
    plant: Plant, workflow_env: WorkflowEnvironment, desk: Desk
) -> None:
    bench = await open_bench(plant, workflow_env, desk, MINOR)
    await weigh_out_of_limit(bench)
    await bench.sign("weigh", QA, Meaning.VERIFIED)
    await bench.sign("note", OPERATOR_2, entered={"remark": "ok"})
    assert await bench.status() is BatchStatus.AWAITING_REVIEW
    dev_id = f"{bench.batch_id}-DEV-001"

    blocked = await refused(bench.release())
    assert blocked.type == "release_blocked"
    missing = blocked.details[0]["details"]["missing"]
    assert {"kind": "deviation_open", "deviation_id": dev_id, "stage": "open"} in missing
    assert {m["kind"] for m in missing} == {"deviation_open", "exception_unreviewed"}

    await bench.investigate(dev_id, SUPERVISOR)
    await bench.classify(dev_id, QA, "minor")
    await bench.dispose(dev_id, QA, "accept")
    blocked = await refused(bench.release())
    assert {m["kind"] for m in blocked.details[0]["details"]["missing"]} == {"exception_unreviewed"}

    assert (await refused(bench.mark(f"deviation:{dev_id}", OPERATOR))).type == "role_not_allowed"
    assert (await refused(bench.mark("comment:nothing", QA))).type == "unknown_exception"
    await bench.mark_all(QA)
    assert (await refused(bench.mark(f"deviation:{dev_id}", QA))).type == "already_reviewed"

    # QA verified the weighing: segregation of duties keeps QA from releasing.
    assert (await refused(bench.release(QA))).type == "segregation_of_duties"
    assert (await refused(bench.release(SUPERVISOR))).type == "role_not_allowed"
    decided = await bench.release(QA_2)
    assert decided.batch_status is BatchStatus.RELEASED
    assert decided.record.meaning is Meaning.RELEASED
    outcome = await bench.handle.result()
    assert outcome.status is BatchStatus.RELEASED
    with session_scope(plant.engine) as session:
        final = get_report(session=session, report_id=final_report_id(bench.batch_id))
    assert final is not None and final.sha256 == outcome.report_sha256
    with session_scope(plant.engine) as session:
        signed = list_audit(session=session, batch_id=bench.batch_id, limit=1000)
    assert any(r.entity_id == f"{bench.batch_id}/batch:{bench.batch_id}/released" for r in signed)
    assert len(bench.events().marks) == len(bench.review().exceptions)


async def test_a_reject_disposition_ends_the_batch_rejected(
    plant: Plant, workflow_env: WorkflowEnvironment, desk: Desk
) -> None:
    bench = await open_bench(plant, workflow_env, desk, MINOR)
    await weigh_out_of_limit(bench, "30.0")
    dev_id = f"{bench.batch_id}-DEV-001"
    await bench.investigate(dev_id, SUPERVISOR, "weigh")
    await bench.classify(dev_id, QA, "critical")
    decided = await bench.dispose(dev_id, QA, "reject", reason="API lot unusable")
    assert decided.batch_status is BatchStatus.REJECTED
    assert (await bench.handle.result()).status is BatchStatus.REJECTED
    with pytest.raises((WorkflowUpdateFailedError, RPCError)):  # the batch's workflow is over
        await bench.sign("weigh", SUPERVISOR, Meaning.VERIFIED)
    assert [
        (d.stage, d.disposition and d.disposition.decision.value) for d in bench.events().deviations
    ] == [(Stage.CLOSED, "reject")]


async def test_a_rework_opens_steps_again_as_new_executions(
    plant: Plant, workflow_env: WorkflowEnvironment, desk: Desk
) -> None:
    bench = await open_bench(plant, workflow_env, desk, MINOR)
    await weigh_out_of_limit(bench)
    await bench.sign("weigh", SUPERVISOR, Meaning.VERIFIED)
    dev_id = f"{bench.batch_id}-DEV-001"
    await bench.investigate(dev_id, SUPERVISOR, "weigh")
    await bench.classify(dev_id, QA, "major")
    bad = await refused(bench.dispose(dev_id, QA, "rework", rework=("nope",)))
    assert bad.type == "unknown_step"
    decided = await bench.dispose(dev_id, QA, "rework", reason="weigh again", rework=("weigh",))
    assert decided.reopened == ("weigh",)
    state = await bench.state()
    weigh = state.progress("weigh")
    assert weigh is not None and (weigh.execution, weigh.status) == (2, StepStatus.PENDING)
    assert state.status is BatchStatus.IN_PROGRESS

    stale = await refused(bench.sign("weigh", OPERATOR, entered={"weight": "25.0"}))
    assert stale.type == "execution_moved" and stale.details[0]["details"]["execution"] == 2
    await bench.sign("weigh", OPERATOR, entered={"weight": "25.0"}, execution=2)
    await bench.sign("weigh", SUPERVISOR, Meaning.VERIFIED, execution=2)
    assert [r for r in bench.records() if r[0] == "weigh"] == [
        ("weigh", 1, "performed"),
        ("weigh", 1, "verified"),
        ("weigh", 2, "performed"),
        ("weigh", 2, "verified"),
    ]


async def test_anyone_opens_a_deviation_by_hand_with_a_description(
    plant: Plant, workflow_env: WorkflowEnvironment, desk: Desk
) -> None:
    bench = await open_bench(plant, workflow_env, desk, MINOR)
    blank = await refused(
        bench.handle.execute_update(
            BatchWorkflow.open_deviation, OpenDeviationInput(actor=OPERATOR, description=" ")
        )
    )
    assert blank.type == "reason_required"
    opened = await bench.handle.execute_update(
        BatchWorkflow.open_deviation,
        OpenDeviationInput(actor=OPERATOR, description="door left open", step_id="weigh"),
    )
    assert (opened.deviation.origin, opened.deviation.opened_by) == (Origin.MANUAL, "olga")
    assert opened.deviation.id == f"{bench.batch_id}-DEV-001"


async def test_a_lift_of_a_hold_is_a_signed_decision(
    plant: Plant, workflow_env: WorkflowEnvironment, desk: Desk
) -> None:
    bench = await open_bench(plant, workflow_env, desk, MINOR)
    await bench.handle.execute_update(
        BatchWorkflow.place_hold, PlaceHoldInput(actor=SUPERVISOR, reason="HVAC alarm")
    )
    hold_id = f"{bench.batch_id}-H1"
    by_supervisor = await refused(
        bench.decide(hold_subject(hold_id), SUPERVISOR, Meaning.APPROVED, reason="fixed")
    )
    assert by_supervisor.type == "role_not_allowed"
    decided = await bench.decide(hold_subject(hold_id), QA, Meaning.APPROVED, reason="fixed")
    assert decided.batch_status is BatchStatus.IN_PROGRESS
    assert decided.hold is not None and decided.hold.lift_reason == "fixed"
    again = await refused(bench.decide(hold_subject(hold_id), QA, Meaning.APPROVED, reason="x"))
    assert again.type == "hold_not_active"


async def test_a_rejected_batch_ends_its_open_deviations(
    plant: Plant, workflow_env: WorkflowEnvironment, desk: Desk
) -> None:
    bench = await open_bench(plant, workflow_env, desk, MINOR)
    await weigh_out_of_limit(bench)
    dev_id = f"{bench.batch_id}-DEV-001"
    no_reason = await refused(
        bench.decide(batch_subject(bench.batch_id), QA, Meaning.REJECTED, reason="")
    )
    assert no_reason.type == "reason_required"
    decided = await bench.decide(
        batch_subject(bench.batch_id), QA, Meaning.REJECTED, reason="scale failed"
    )
    assert decided.batch_status is BatchStatus.REJECTED
    assert (await bench.handle.result()).status is BatchStatus.REJECTED
    assert (await bench.deviation_handle(dev_id).result()).stage is Stage.OPEN
    described = await bench.handle.describe()
    assert described.typed_search_attributes.get(STATUS_KEY) == "rejected"


async def test_exceptions_marks_and_deviations_survive_continue_as_new(
    plant: Plant, workflow_env: WorkflowEnvironment, desk: Desk
) -> None:
    bench = await open_bench(plant, workflow_env, desk, MINOR, updates_per_run=2)
    await weigh_out_of_limit(bench)
    dev_id = f"{bench.batch_id}-DEV-001"
    await bench.investigate(dev_id, SUPERVISOR)
    await bench.classify(dev_id, QA, "minor")
    await bench.sign("weigh", SUPERVISOR, Meaning.VERIFIED)
    await bench.mark(f"deviation:{dev_id}", QA)
    await bench.sign("note", OPERATOR_2, entered={"remark": "ok"})
    await bench.dispose(dev_id, QA, "accept")
    again = await refused(bench.mark(f"deviation:{dev_id}", QA))
    assert again.type == "already_reviewed"
    await bench.mark_all(QA)
    assert (await refused(bench.release(SUPERVISOR))).type == "role_not_allowed"
    executed = QA.model_copy(update={"user_id": "sam", "full_name": SUPERVISOR.full_name})
    assert (await refused(bench.release(executed))).type == "segregation_of_duties"
    assert (await bench.release(QA_2)).batch_status is BatchStatus.RELEASED
    runs, run_id = 0, bench.handle.first_execution_run_id
    while run_id:
        runs += 1
        history = await plant.client.get_workflow_handle(
            bench.batch_id, run_id=run_id
        ).fetch_history()
        attrs = history.events[-1].workflow_execution_continued_as_new_event_attributes
        run_id = attrs.new_execution_run_id or None
    assert runs >= 3


async def test_concurrent_holds_completions_and_releases_stay_consistent(
    plant: Plant, workflow_env: WorkflowEnvironment, desk: Desk
) -> None:
    bench = await open_bench(plant, workflow_env, desk, MINOR)
    results = await asyncio.gather(
        bench.sign("weigh", OPERATOR, entered={"weight": "25.0"}),
        bench.handle.execute_update(
            BatchWorkflow.place_hold, PlaceHoldInput(actor=SUPERVISOR, reason="race")
        ),
        return_exceptions=True,
    )
    assert not isinstance(results[1], BaseException)
    state = await bench.state()
    weigh = state.progress("weigh")
    assert weigh is not None
    recorded = not isinstance(results[0], BaseException)
    assert (weigh.status is StepStatus.AWAITING_VERIFICATION) is recorded
    assert (("weigh", 1, "performed") in bench.records()) is recorded
    assert state.status is BatchStatus.ON_HOLD
    with session_scope(plant.engine) as session:
        row = get_batch(session=session, batch_id=bench.batch_id)
        assert row is not None and row.status == "on_hold"

    hold_id = f"{bench.batch_id}-H1"
    await bench.decide(hold_subject(hold_id), QA, Meaning.APPROVED, reason="ok")
    if not recorded:
        await bench.sign("weigh", OPERATOR, entered={"weight": "25.0"})
    await bench.sign("weigh", SUPERVISOR, Meaning.VERIFIED)
    await bench.sign("note", OPERATOR, entered={"remark": "fine"})
    await bench.mark_all(QA)
    qa_3 = QA_2.model_copy(update={"user_id": "ravi", "full_name": "Ravi QA"})
    both = await asyncio.gather(bench.release(QA_2), bench.release(qa_3), return_exceptions=True)
    won = [r for r in both if not isinstance(r, BaseException)]
    lost = [r for r in both if isinstance(r, BaseException)]
    assert len(won) == 1 and len(lost) == 1
    assert (await bench.handle.result()).status is BatchStatus.RELEASED
    released = [r for r in bench.records() if r[0] == bench.batch_id]
    assert released == [(bench.batch_id, 1, "released")]


def stored_batch_status(bench: Bench) -> str:
    with session_scope(bench.plant.engine) as session:
        row = get_batch(session=session, batch_id=bench.batch_id)
        assert row is not None
        return row.status


async def test_a_classification_answers_once_the_batch_applied_it_even_under_load(
    plant: Plant, workflow_env: WorkflowEnvironment, desk: Desk
) -> None:
    """The store, read the moment the classification answers, already shows its effect on the
    batch: the hold placed (major) or lifted (minor). Both cores are kept busy meanwhile."""
    with cores_busy():
        for round_ in range(3):
            bench = await open_bench(plant, workflow_env, desk, MINOR, prefix=f"B-RYW{round_}")
            await weigh_out_of_limit(bench)
            dev_id = f"{bench.batch_id}-DEV-001"
            await bench.investigate(dev_id, SUPERVISOR, "weigh")
            assert stored_batch_status(bench) == "in_progress"
            major = await bench.classify(dev_id, QA, "major")
            assert (major.batch_status, stored_batch_status(bench)) == (
                BatchStatus.ON_HOLD,
                "on_hold",
            )

            bench = await open_bench(plant, workflow_env, desk, CRITICAL, prefix=f"B-RYW{round_}")
            await bench.sign("read-sop", OPERATOR)
            await bench.sign("weigh-api", OPERATOR, entered={"weight": "27.0"}, comment="spilled")
            dev_id = f"{bench.batch_id}-DEV-001"
            assert stored_batch_status(bench) == "on_hold"
            await bench.investigate(dev_id, SUPERVISOR, "weigh-api")
            minor = await bench.classify(dev_id, QA, "minor")
            assert (minor.batch_status, stored_batch_status(bench)) == (
                BatchStatus.IN_PROGRESS,
                "in_progress",
            )
