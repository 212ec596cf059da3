"""Signed records through BatchWorkflow: recorded exactly as signed, chained, or refused whole."""

from __future__ import annotations

import json
from typing import Any

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from ebr.domain.batch import Actor, StepStatus
from ebr.domain.meanings import Meaning
from ebr.domain.signed_records import GENESIS
from ebr.domain.subjects import Chain, ChainKind, Subject, SubjectKind, step_subject
from ebr.store.db import session_scope
from ebr.store.signed_records import list_batch_records
from signatures.chain import record_hash, verify_chain
from tests.factories import OPERATOR, OPERATOR_2, SUPERVISOR, small_recipe
from tests.signing import Desk
from tests.workflows.conftest import Plant
from workflows.batch_workflow import BatchWorkflow
from workflows.messages import BatchOutcome, Recorded, SignedAction

Handle = WorkflowHandle[BatchWorkflow, BatchOutcome]
RECIPE = small_recipe()


async def sign(handle: Handle, action: SignedAction) -> Recorded:
    return await handle.execute_update(BatchWorkflow.sign, action)


async def refused(handle: Handle, action: SignedAction) -> ApplicationError:
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await sign(handle, action)
    cause = info.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


def stored(plant: Plant, batch_id: str) -> list[tuple[int, str, str | None, str | None]]:
    with session_scope(plant.engine) as session:
        rows = list_batch_records(session=session, batch_id=batch_id)
        return [(r.seq, r.meaning, r.record_hash, r.prev_hash) for r in rows]


async def test_a_signed_batch_is_recorded_as_signed_and_chained(plant: Plant, desk: Desk) -> None:
    handle = await plant.start(RECIPE, "B-SIGNED-1")
    plan: list[tuple[str, Actor, Meaning, dict[str, Any]]] = [
        ("read-sop", OPERATOR, Meaning.PERFORMED, {}),
        ("weigh-api", OPERATOR, Meaning.PERFORMED, {"weight": "25.01"}),
        ("weigh-api", SUPERVISOR, Meaning.VERIFIED, {}),
        ("clean-check", OPERATOR, Meaning.PERFORMED, {"clean": True}),
        ("mixer", SUPERVISOR, Meaning.PERFORMED, {"speed": "high"}),
        ("note", OPERATOR, Meaning.PERFORMED, {"remark": "all good"}),
    ]
    for step_id, actor, meaning, entered in plan:
        await sign(handle, desk.action(RECIPE, handle.id, step_id, actor, meaning, entered))
    state = await handle.query(BatchWorkflow.state)
    assert state.status.value == "awaiting_review"  # and stays so, awaiting QA's decision
    with session_scope(plant.engine) as session:
        rows = list_batch_records(session=session, batch_id=handle.id)
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5, 6]
    assert rows[0].prev_hash == GENESIS
    entries = []
    for row in rows:
        assert row.payload is not None and row.record_hash == record_hash(row.payload.encode())
        entries.append((row.record_id, row.payload.encode(), json.loads(row.payload)["prev_hash"]))
    verify_chain(entries)


async def test_a_signature_made_on_an_old_chain_head_must_be_made_again(
    plant: Plant, desk: Desk
) -> None:
    handle = await plant.start(RECIPE)
    first = desk.action(RECIPE, handle.id, "read-sop", OPERATOR)
    stale_head = desk.head(handle.id)
    await sign(handle, first)
    late = desk.action(
        RECIPE, handle.id, "weigh-api", OPERATOR, entered={"weight": 25}, head=stale_head
    )
    error = await refused(handle, late)
    assert error.type == "chain_moved"
    assert len(stored(plant, handle.id)) == 1
    again = desk.action(RECIPE, handle.id, "weigh-api", OPERATOR, entered={"weight": 25})
    recorded = await sign(handle, again)
    assert recorded.record.seq == 2


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"chain": Chain(kind=ChainKind.BATCH, id="B-OTHER")}, "another batch"),
        ({"recipe_hash": "0" * 64}, "another batch or recipe version"),
        ({"subject": step_subject("weigh-api")}, ""),
        (
            {
                "chain": Chain(kind=ChainKind.LOT, id="LOT-1"),
                "subject": Subject(kind=SubjectKind.LOT, id="LOT-1"),
                "recipe_hash": None,
            },
            "not signed in a batch's chain",
        ),
        ({"station": "somewhere else"}, "someone other"),
    ],
)
async def test_a_payload_that_does_not_match_the_request_is_refused(
    plant: Plant, desk: Desk, changes: dict[str, str], reason: str
) -> None:
    handle = await plant.start(RECIPE)
    action = desk.action(RECIPE, handle.id, "read-sop", OPERATOR, payload_changes=changes)
    error = await refused(handle, action)
    assert error.type in {"payload_mismatch", "step_out_of_order", "invalid_values"}
    assert reason in error.message
    assert stored(plant, handle.id) == []


async def test_signed_values_must_be_the_values_entered(plant: Plant, desk: Desk) -> None:
    handle = await plant.start(RECIPE)
    await sign(handle, desk.action(RECIPE, handle.id, "read-sop", OPERATOR))
    honest = desk.action(RECIPE, handle.id, "weigh-api", OPERATOR, entered={"weight": "25.4"})
    dishonest = honest.model_copy(update={"entered": {"weight": "24.0"}})
    error = await refused(handle, dishonest)
    assert error.type == "payload_mismatch"
    assert len(stored(plant, handle.id)) == 1


async def test_a_forged_signature_is_refused_and_nothing_moves(plant: Plant, desk: Desk) -> None:
    """The payload is changed after signing (a value and the entered value together), so only
    the signature check can catch it: the activity refuses, the batch stays where it was."""
    handle = await plant.start(RECIPE)
    await sign(handle, desk.action(RECIPE, handle.id, "read-sop", OPERATOR))
    genuine = desk.action(RECIPE, handle.id, "weigh-api", OPERATOR, entered={"weight": "25.4"})
    forged_values = desk.action(
        RECIPE, handle.id, "weigh-api", OPERATOR, entered={"weight": "25.0"}
    ).payload.values
    forged = genuine.model_copy(
        update={
            "payload": genuine.payload.model_copy(update={"values": forged_values}),
            "entered": {"weight": "25.0"},
        }
    )
    error = await refused(handle, forged)
    assert error.type == "bad_signature"
    assert len(stored(plant, handle.id)) == 1
    state = await handle.query(BatchWorkflow.state)
    assert state.steps[1].status is StepStatus.PENDING
    recorded = await sign(handle, genuine)
    assert recorded.record.seq == 2


async def test_a_signature_from_another_signer_is_refused(plant: Plant, desk: Desk) -> None:
    handle = await plant.start(RECIPE)
    desk.enrol(OPERATOR_2)
    mine = desk.action(RECIPE, handle.id, "read-sop", OPERATOR)
    theirs = desk.action(RECIPE, handle.id, "read-sop", OPERATOR_2)
    stolen = mine.model_copy(update={"key_id": theirs.key_id, "signature": theirs.signature})
    error = await refused(handle, stolen)
    assert error.type == "bad_signature"
    assert stored(plant, handle.id) == []


async def test_a_correction_is_a_new_signed_record_and_keeps_the_original(
    plant: Plant, desk: Desk
) -> None:
    handle = await plant.start(RECIPE)
    await sign(handle, desk.action(RECIPE, handle.id, "read-sop", OPERATOR))
    await sign(
        handle, desk.action(RECIPE, handle.id, "weigh-api", OPERATOR, entered={"weight": "25.4"})
    )
    error = await refused(
        handle,
        desk.action(
            RECIPE,
            handle.id,
            "weigh-api",
            OPERATOR,
            Meaning.CORRECTED,
            {"weight": "25.1"},
            reason="   ",
        ),
    )
    assert error.type == "reason_required"
    fixed = await sign(
        handle,
        desk.action(
            RECIPE,
            handle.id,
            "weigh-api",
            OPERATOR,
            Meaning.CORRECTED,
            {"weight": "25.1"},
            reason="transcription error: the balance showed 25.1 kg",
        ),
    )
    assert fixed.record.meaning is Meaning.CORRECTED
    with session_scope(plant.engine) as session:
        rows = list_batch_records(session=session, batch_id=handle.id)
    original, correction = rows[1], rows[2]
    assert original.values[0]["value"] == "25.4"
    assert correction.values[0]["value"] == "25.1"
    assert correction.corrects == original.record_id
    assert correction.payload is not None
    assert json.loads(correction.payload)["reason"].startswith("transcription error")
