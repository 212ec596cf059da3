"""BatchWorkflow on the time-skipping test server: order, refusals, verification, persistence.

Every record is signed, as the API signs it (``Plant.sign``)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from ebr.domain.batch import Actor, BatchState, BatchStatus, StepStatus
from ebr.domain.meanings import Meaning
from ebr.store.batches import get_batch
from ebr.store.db import session_scope
from ebr.store.signed_records import list_batch_records
from tests.factories import OPERATOR, OPERATOR_2, QA, SUPERVISOR, small_recipe
from tests.workflows.conftest import Plant
from workflows.batch_workflow import BatchWorkflow
from workflows.messages import BatchOutcome, Recorded

Handle = WorkflowHandle[BatchWorkflow, BatchOutcome]


async def complete(
    plant: Plant,
    handle: Handle,
    step_id: str,
    actor: Actor = OPERATOR,
    values: dict[str, Any] | None = None,
    comment: str | None = None,
) -> Recorded:
    return await plant.sign(handle, step_id, actor, Meaning.PERFORMED, values, comment=comment)


async def verify(plant: Plant, handle: Handle, step_id: str, actor: Actor = SUPERVISOR) -> Recorded:
    return await plant.sign(handle, step_id, actor, Meaning.VERIFIED)


async def refusal(call: Any) -> ApplicationError:
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await call
    cause = info.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


def record_count(plant: Plant, batch_id: str) -> int:
    with session_scope(plant.engine) as session:
        return len(list_batch_records(session=session, batch_id=batch_id))


async def run_whole_batch(plant: Plant, handle: Handle) -> None:
    await complete(plant, handle, "read-sop")
    await complete(plant, handle, "weigh-api", values={"weight": "25.02"})
    await verify(plant, handle, "weigh-api")
    await complete(plant, handle, "clean-check", values={"clean": True})
    await complete(plant, handle, "mixer", actor=SUPERVISOR, values={"speed": "low"})
    await complete(plant, handle, "note", values={})


async def test_a_whole_batch_is_recorded_in_order_and_awaits_review(plant: Plant) -> None:
    handle = await plant.start(small_recipe(), "B-WHOLE-1")
    await run_whole_batch(plant, handle)
    state = await handle.query(BatchWorkflow.state)
    assert state.status is BatchStatus.AWAITING_REVIEW  # and stays so, awaiting QA's decision
    assert state.completed_at is not None
    with session_scope(plant.engine) as session:
        records = list_batch_records(session=session, batch_id="B-WHOLE-1")
        batch = get_batch(session=session, batch_id="B-WHOLE-1")
        assert batch is not None
        assert (batch.status, batch.steps_done, batch.steps_total) == ("awaiting_review", 5, 5)
        assert batch.completed_at == state.completed_at
    assert [(r.seq, r.subject_id, r.meaning) for r in records] == [
        (1, "read-sop", "performed"),
        (2, "weigh-api", "performed"),
        (3, "weigh-api", "verified"),
        (4, "clean-check", "performed"),
        (5, "mixer", "performed"),
        (6, "note", "performed"),
    ]
    weighing = records[1]
    assert weighing.values == [
        {
            "name": "weight",
            "type": "number",
            "value": "25.02",
            "unit": "kg",
            "entered": None,
            "in_spec": True,
            "critical": True,
        }
    ]
    assert (weighing.user_id, weighing.station) == ("olga", "line-1")


async def test_refusals_name_the_reason_and_write_nothing(plant: Plant) -> None:
    handle = await plant.start(small_recipe())
    batch_id = handle.id

    error = await refusal(complete(plant, handle, "clean-check", values={"clean": True}))
    assert error.type == "step_out_of_order"
    assert "'read-sop' comes before 'clean-check'" in error.message

    error = await refusal(complete(plant, handle, "no-such-step"))
    assert error.type == "unknown_step"

    await complete(plant, handle, "read-sop")
    error = await refusal(complete(plant, handle, "read-sop", actor=OPERATOR_2))
    assert error.type == "step_already_done"
    assert "already completed by olga" in error.message

    error = await refusal(complete(plant, handle, "weigh-api", actor=QA, values={"weight": 25}))
    assert error.type == "role_not_allowed"
    assert "'operator'" in error.message

    error = await refusal(complete(plant, handle, "weigh-api", values={"weight": "heavy"}))
    assert error.type == "invalid_values"
    assert error.details[0]["details"] == [
        {"field": "weight", "reason": "Net weight must be a number, not 'heavy'"}
    ]
    error = await refusal(complete(plant, handle, "weigh-api", values={}))
    assert error.type == "invalid_values"
    assert "weight" in error.message
    assert record_count(plant, batch_id) == 1

    state = await handle.query(BatchWorkflow.state)
    assert isinstance(state, BatchState)
    assert [p.status for p in state.steps][:2] == [StepStatus.DONE, StepStatus.PENDING]


async def test_an_out_of_limit_value_is_recorded_and_flagged_not_refused(plant: Plant) -> None:
    handle = await plant.start(small_recipe())
    await complete(plant, handle, "read-sop")
    heavy = {"weight": {"value": 26100, "unit": "g"}}
    refused = await refusal(complete(plant, handle, "weigh-api", values=heavy))
    assert refused.type == "comment_required"
    recorded = await complete(
        plant, handle, "weigh-api", values=heavy, comment="the balance reads high"
    )
    (value,) = recorded.record.values
    assert (value.value, value.unit, value.entered, value.in_spec) == (
        "26.100",
        "kg",
        "26100 g",
        False,
    )


async def test_verification_needs_a_second_qualified_person(plant: Plant) -> None:
    handle = await plant.start(small_recipe())
    await complete(plant, handle, "read-sop")
    error = await refusal(verify(plant, handle, "read-sop"))
    assert error.type == "verification_not_required"
    error = await refusal(verify(plant, handle, "weigh-api"))
    assert error.type == "not_awaiting_verification"

    recorded = await complete(plant, handle, "weigh-api", values={"weight": 25})
    assert recorded.progress is not None
    assert recorded.progress.status is StepStatus.AWAITING_VERIFICATION
    error = await refusal(complete(plant, handle, "clean-check", values={"clean": True}))
    assert error.type == "step_out_of_order"
    assert "must be verified by a second person" in error.message

    error = await refusal(verify(plant, handle, "weigh-api", actor=OPERATOR))
    assert error.type == "verifier_is_performer"
    outsider = Actor(user_id="ann", full_name="Ann Auditor", roles=(), station="x")
    error = await refusal(verify(plant, handle, "weigh-api", actor=outsider))
    assert error.type == "role_not_allowed"

    verified = await verify(plant, handle, "weigh-api", actor=OPERATOR_2)
    assert verified.progress is not None
    assert verified.progress.status is StepStatus.DONE
    assert verified.progress.verified_by == "omar"
    error = await refusal(verify(plant, handle, "weigh-api", actor=QA))
    assert error.type == "not_awaiting_verification"
    assert record_count(plant, handle.id) == 3


async def test_two_users_completing_the_same_step_at_once_make_one_record(plant: Plant) -> None:
    handle = await plant.start(small_recipe())
    results = await asyncio.gather(
        complete(plant, handle, "read-sop", actor=OPERATOR),
        complete(plant, handle, "read-sop", actor=OPERATOR_2),
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, Recorded)]
    losers = [r for r in results if isinstance(r, WorkflowUpdateFailedError)]
    assert len(winners) == 1 and len(losers) == 1
    assert isinstance(losers[0].cause, ApplicationError)
    assert losers[0].cause.type in {"step_in_progress", "step_already_done"}
    assert record_count(plant, handle.id) == 1


async def test_the_query_shows_progress_and_who_did_what(plant: Plant) -> None:
    handle = await plant.start(small_recipe())
    await complete(plant, handle, "read-sop")
    await complete(plant, handle, "weigh-api", values={"weight": 25})
    state = await handle.query(BatchWorkflow.state)
    assert state.status is BatchStatus.IN_PROGRESS
    assert state.steps[1].performed_by == "olga"
    assert state.steps[1].status is StepStatus.AWAITING_VERIFICATION
    assert state.current() is not None and state.current().step_id == "weigh-api"  # type: ignore[union-attr]
