"""Holds through BatchWorkflow: placed by a supervisor or QA, lifted only by QA, both audited."""

from __future__ import annotations

import asyncio

from temporalio.client import WorkflowHandle

from ebr.domain.batch import Actor, BatchStatus, StepStatus
from ebr.domain.holds import active_hold
from ebr.domain.meanings import Meaning
from ebr.domain.roles import Role
from ebr.domain.subjects import hold_subject
from ebr.store.audit import list_audit
from ebr.store.batch_events import load_batch_events
from ebr.store.batches import get_batch
from ebr.store.db import session_scope
from tests.factories import OPERATOR, QA, SUPERVISOR, small_recipe
from tests.signing import Desk
from tests.workflows.conftest import Plant
from tests.workflows.test_batch_workflow import complete, refusal, run_whole_batch, verify
from tests.workflows.test_signed_workflow import sign
from workflows.batch_workflow import BatchWorkflow
from workflows.calls import STATUS_KEY
from workflows.messages import BatchOutcome, HoldChanged, PlaceHoldInput, Recorded

Handle = WorkflowHandle[BatchWorkflow, BatchOutcome]
RECIPE = small_recipe()
QA_2 = Actor(user_id="qiu", full_name="Qiu Lan", roles=(Role.QA,), station="qa-lab")


async def hold(handle: Handle, reason: str, actor: Actor = SUPERVISOR) -> HoldChanged:
    return await handle.execute_update(
        BatchWorkflow.place_hold, PlaceHoldInput(actor=actor, reason=reason)
    )


async def lift(
    plant: Plant, handle: Handle, reason: str, actor: Actor = QA, hold_id: str | None = None
) -> Recorded:
    """QA's signed lift of ``hold_id``, or of the batch's earliest active hold."""
    if hold_id is None:
        with session_scope(plant.engine) as session:
            held = active_hold(load_batch_events(session=session, batch_id=handle.id).holds)
        hold_id = held.hold_id if held else f"{handle.id}-H1"
    action = plant.desk.decision(
        RECIPE, handle.id, hold_subject(hold_id), actor, Meaning.APPROVED, reason=reason
    )
    return await handle.execute_update(BatchWorkflow.sign, action)


def stored_status(plant: Plant, batch_id: str) -> str:
    with session_scope(plant.engine) as session:
        row = get_batch(session=session, batch_id=batch_id)
        assert row is not None
        return row.status


def hold_audit(plant: Plant, batch_id: str) -> list[tuple[str, str, str | None, str]]:
    with session_scope(plant.engine) as session:
        rows = list_audit(session=session, batch_id=batch_id, entity="hold")
        return [(r.action, r.actor, r.reason, r.entity_id) for r in rows]


async def status_attribute(handle: Handle) -> str | None:
    return (await handle.describe()).typed_search_attributes.get(STATUS_KEY)


async def test_completion_during_a_hold_is_refused_with_its_reason(plant: Plant) -> None:
    handle = await plant.start(RECIPE, "B-HOLD-1")
    await complete(plant, handle, "read-sop")
    placed = await hold(handle, "scale out of calibration")
    assert (placed.hold.hold_id, placed.batch_status) == ("B-HOLD-1-H1", BatchStatus.ON_HOLD)
    assert stored_status(plant, "B-HOLD-1") == "on_hold"
    assert await status_attribute(handle) == "on_hold"

    refused = await refusal(complete(plant, handle, "weigh-api", values={"weight": "25.0"}))
    assert refused.type == "batch_on_hold"
    assert "scale out of calibration" in refused.message
    assert refused.details[0]["details"]["reason"] == "scale out of calibration"

    lifted = await lift(plant, handle, "scale recalibrated")
    assert lifted.batch_status is BatchStatus.IN_PROGRESS
    assert lifted.hold is not None and lifted.hold.lifted_by == QA.user_id
    assert stored_status(plant, "B-HOLD-1") == "in_progress"
    assert await status_attribute(handle) == "in_progress"
    assert hold_audit(plant, "B-HOLD-1") == [
        ("hold_placed", SUPERVISOR.user_id, "scale out of calibration", "B-HOLD-1-H1"),
        ("hold_lifted", QA.user_id, "scale recalibrated", "B-HOLD-1-H1"),
    ]
    await complete(plant, handle, "weigh-api", values={"weight": "25.0"})
    await verify(plant, handle, "weigh-api")
    await complete(plant, handle, "clean-check", values={"clean": True})
    await complete(plant, handle, "mixer", actor=SUPERVISOR, values={"speed": "low"})
    await complete(plant, handle, "note", values={})
    assert (await handle.query(BatchWorkflow.state)).status is BatchStatus.AWAITING_REVIEW


async def test_verification_during_a_hold_is_refused(plant: Plant) -> None:
    handle = await plant.start(RECIPE, "B-HOLD-2")
    await complete(plant, handle, "read-sop")
    await complete(plant, handle, "weigh-api", values={"weight": "25.0"})
    await hold(handle, "label mix-up", actor=QA)
    assert (await refusal(verify(plant, handle, "weigh-api"))).type == "batch_on_hold"


async def test_a_hold_is_lifted_by_qa_s_signature_in_the_batch_s_chain(
    plant: Plant, desk: Desk
) -> None:
    handle = await plant.start(RECIPE, "B-HOLD-3")
    await hold(handle, "room pressure alarm")
    action = desk.action(RECIPE, handle.id, "read-sop", OPERATOR, Meaning.PERFORMED, {})
    refused = await refusal(sign(handle, action))
    assert refused.type == "batch_on_hold"
    decided = await lift(plant, handle, "pressure back in range", hold_id="B-HOLD-3-H1")
    assert decided.hold is not None and decided.hold.lifted_by == QA.user_id
    assert decided.batch_status is BatchStatus.IN_PROGRESS
    assert decided.record.record_id == "B-HOLD-3/hold:B-HOLD-3-H1/approved"
    assert decided.record.subject == hold_subject("B-HOLD-3-H1")
    recorded = await sign(
        handle, desk.action(RECIPE, handle.id, "read-sop", OPERATOR, Meaning.PERFORMED, {})
    )
    assert recorded.progress is not None and recorded.progress.status is StepStatus.DONE


async def test_only_a_supervisor_or_qa_holds_and_only_qa_lifts(plant: Plant) -> None:
    handle = await plant.start(RECIPE, "B-HOLD-4")
    assert (await refusal(hold(handle, "because", actor=OPERATOR))).type == "role_not_allowed"
    assert (await refusal(hold(handle, "  ", actor=SUPERVISOR))).type == "reason_required"
    await hold(handle, "suspected contamination")
    refused = await refusal(lift(plant, handle, "looks fine to me", actor=SUPERVISOR))
    assert refused.type == "role_not_allowed"
    assert (await refusal(lift(plant, handle, "", actor=QA))).type == "reason_required"
    assert stored_status(plant, "B-HOLD-4") == "on_hold"
    assert [a for a, *_ in hold_audit(plant, "B-HOLD-4")] == ["hold_placed"]


async def test_the_batch_resumes_only_when_its_last_hold_is_lifted(plant: Plant) -> None:
    handle = await plant.start(RECIPE, "B-HOLD-5")
    await hold(handle, "first")
    await hold(handle, "second", actor=QA)
    assert (await lift(plant, handle, "first solved", hold_id="B-HOLD-5-H1")).batch_status is (
        BatchStatus.ON_HOLD
    )
    refused = await refusal(lift(plant, handle, "again", hold_id="B-HOLD-5-H1"))
    assert refused.type == "hold_not_active"
    assert (await refusal(lift(plant, handle, "?", hold_id="B-HOLD-5-H9"))).type == "unknown_hold"
    assert (await refusal(complete(plant, handle, "read-sop"))).type == "batch_on_hold"
    assert (await lift(plant, handle, "second solved", actor=QA_2)).batch_status is (
        BatchStatus.IN_PROGRESS
    )
    assert (await refusal(lift(plant, handle, "nothing held"))).type == "hold_not_active"
    await complete(plant, handle, "read-sop")


async def test_concurrent_hold_and_completion_leave_a_consistent_state(plant: Plant) -> None:
    for n in range(3):
        batch_id = f"B-HOLD-RACE-{n}"
        handle = await plant.start(RECIPE, batch_id)
        await complete(plant, handle, "read-sop")
        results = await asyncio.gather(
            complete(plant, handle, "weigh-api", values={"weight": "25.0"}),
            hold(handle, "race"),
            return_exceptions=True,
        )
        assert not isinstance(results[1], BaseException)
        state = await handle.query(BatchWorkflow.state)
        weigh = state.progress("weigh-api")
        assert weigh is not None
        completed = not isinstance(results[0], BaseException)
        assert (weigh.status is StepStatus.AWAITING_VERIFICATION) is completed
        assert state.status is BatchStatus.ON_HOLD
        assert stored_status(plant, batch_id) == "on_hold"
        with session_scope(plant.engine) as session:
            row = get_batch(session=session, batch_id=batch_id)
            assert row is not None
            assert row.steps_done == 1


async def test_holds_survive_continue_as_new(plant: Plant) -> None:
    handle = await plant.start(RECIPE, "B-HOLD-CAN", updates_per_run=2)
    await complete(plant, handle, "read-sop")
    await hold(handle, "carried over")
    assert (
        await refusal(complete(plant, handle, "weigh-api", values={"weight": "25.0"}))
    ).type == ("batch_on_hold")
    await lift(plant, handle, "done")
    await complete(plant, handle, "weigh-api", values={"weight": "25.0"})


async def test_a_batch_never_held_runs_as_before(plant: Plant) -> None:
    handle = await plant.start(RECIPE, "B-HOLD-NONE")
    await run_whole_batch(plant, handle)
    assert (await handle.query(BatchWorkflow.state)).status is BatchStatus.AWAITING_REVIEW
    assert hold_audit(plant, "B-HOLD-NONE") == []
