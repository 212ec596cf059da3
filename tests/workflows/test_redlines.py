"""Redlines through BatchWorkflow on the time-skipping server: a supervisor's signed proposal, QA's
signed approval applied from the next step on (a changed limit, instruction and timer, an added
step done in its order), across continue-as-new, released and verified; and every refusal, in
words, with nothing written."""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from ebr.domain.batch import Actor, BatchStatus, StepStatus
from ebr.domain.meanings import Meaning
from ebr.domain.recipe import Recipe
from ebr.domain.recipe_loading import recipe_from_data
from ebr.domain.redline_changes import RedlineContent, apply_redline
from ebr.domain.redlines import Redline, RedlineStatus, redlines_of
from ebr.domain.roles import Role
from ebr.domain.subjects import ChainKind, redline_subject
from ebr.domain.values import validate_values
from ebr.store.batches import get_batch
from ebr.store.db import session_scope
from ebr.store.signed_records import list_batch_records, record_of
from ebr.verification import verify_store
from tests.factories import OPERATOR, QA, SUPERVISOR, _step
from tests.signing import Desk
from tests.workflows.conftest import Plant
from tests.workflows.exceptions_kit import QA_2, Bench, fresh_clock, minutes, open_bench, refused
from workflows.messages import Recorded

workflow_env = pytest.fixture(fresh_clock)

BOTH = Actor(user_id="bea", full_name="Bea Both", roles=(Role.SUPERVISOR, Role.QA), station="o")


def weighed_recipe() -> Recipe:
    """Charge; weigh 9.5 to 10.5 kg; mix; measure the loss on drying (at most 3 %); pack."""
    weight = {
        "name": "weight",
        "label": "Net weight",
        "type": "number",
        "unit": "kg",
        "min": "9.5",
        "max": "10.5",
    }
    lod = {"name": "lod", "label": "Loss on drying", "type": "number", "unit": "%", "max": "3"}
    steps = [
        _step("charge", "instruction", inputs=[]),
        _step("weigh", "record", inputs=[weight]),
        _step("mix", "instruction", inputs=[]),
        _step("lod", "record", inputs=[lod]),
        _step("pack", "instruction", inputs=[]),
    ]
    return recipe_from_data(
        {
            "code": "TEST-RL",
            "version": 1,
            "name": "Redlined process",
            "product": {"code": "RL-1", "name": "Redlined product"},
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


RECIPE = weighed_recipe()
CHANGES: list[dict[str, Any]] = [
    {"kind": "limits", "step_id": "weigh", "input": "weight", "min": "9", "max": "11"},
    {"kind": "instructions", "step_id": "mix", "instructions": "Mix for at least 10 minutes."},
    {"kind": "timer", "step_id": "mix", "min_duration_minutes": 10},
    {
        "kind": "add_step",
        "after": "mix",
        "step": {
            "id": "sieve",
            "name": "Sieve the blend",
            "instructions": "Pass the blend through a 1 mm sieve.",
            "kind": "instruction",
        },
    },
]


def content(*changes: dict[str, Any]) -> RedlineContent:
    return RedlineContent.model_validate({"changes": list(changes or CHANGES)})


async def propose(
    bench: Bench,
    changes: RedlineContent,
    actor: Actor = SUPERVISOR,
    *,
    number: int = 1,
    reason: str = "the lab asks for a sieved blend",
) -> Recorded:
    rid = f"{bench.batch_id}-RL{number}"
    return await bench.decide(
        redline_subject(rid), actor, Meaning.PROPOSED, reason=reason, detail=changes.detail()
    )


async def decide(
    bench: Bench,
    changes: RedlineContent,
    actor: Actor = QA,
    meaning: Meaning = Meaning.APPROVED,
    *,
    number: int = 1,
    reason: str | None = None,
    content_hash: str | None = None,
) -> Recorded:
    detail = {"content_hash": content_hash or changes.content_hash()}
    rid = f"{bench.batch_id}-RL{number}"
    return await bench.decide(redline_subject(rid), actor, meaning, reason=reason, detail=detail)


def stored_steps(bench: Bench) -> int:
    with session_scope(bench.plant.engine) as session:
        row = get_batch(session=session, batch_id=bench.batch_id)
        assert row is not None
        return row.steps_total


async def test_an_approved_redline_runs_from_the_next_step_on(
    plant: Plant, workflow_env: WorkflowEnvironment, desk: Desk
) -> None:
    bench = await open_bench(plant, workflow_env, desk, RECIPE, prefix="B-RLA", updates_per_run=3)
    changes = content()
    proposed = await propose(bench, changes)
    assert proposed.redline is not None and proposed.redline.status is RedlineStatus.PROPOSED
    assert proposed.record.record_id == f"{bench.batch_id}/redline:{bench.batch_id}-RL1/proposed"
    assert [p.step_id for p in (await bench.state()).steps] == [s.id for s in RECIPE.steps()]

    approved = await decide(bench, changes)
    assert approved.redline is not None and approved.redline.status is RedlineStatus.APPROVED
    assert approved.redline.decided_by == QA.user_id
    assert approved.steps_total == 6 and stored_steps(bench) == 6
    state = await bench.state()
    assert [p.step_id for p in state.steps] == ["charge", "weigh", "mix", "sieve", "lod", "pack"]
    assert state.header.recipe_hash == RECIPE.content_hash()  # the master's, still

    await bench.sign("charge", OPERATOR)
    # 10.8 kg is out of the master's limits (a comment would be needed) and in the redline's.
    as_master = await refused(bench.sign("weigh", OPERATOR, entered={"weight": "10.8"}))
    assert as_master.type == "payload_mismatch"
    effective = apply_redline(RECIPE, changes)
    typed = validate_values(effective.step("weigh"), {"weight": "10.8"})  # type: ignore[arg-type]
    assert typed[0].in_spec is True
    await bench.sign("weigh", OPERATOR, entered={"weight": "10.8"}, values=typed)
    early = await refused(bench.sign("mix", OPERATOR))  # the redline's minimum of 10 minutes
    assert early.type == "too_early" and "10 minutes" in early.message
    await workflow_env.sleep(minutes(11))
    await bench.sign("mix", OPERATOR)
    out_of_order = await refused(bench.sign("lod", OPERATOR, entered={"lod": "1.2"}))
    assert out_of_order.type == "step_out_of_order"
    await bench.sign("sieve", OPERATOR)
    await bench.sign("lod", OPERATOR, entered={"lod": "1.2"})
    await bench.sign("pack", OPERATOR)
    assert await bench.status() is BatchStatus.AWAITING_REVIEW

    (exception,) = bench.review().exceptions
    assert exception.id == f"redline:{bench.batch_id}-RL1"
    assert "add step 'sieve'" in exception.summary
    blocked = await refused(bench.release(QA_2))
    assert blocked.type == "release_blocked"
    assert exception.id in str(blocked.details)
    await bench.mark_all(QA)
    await bench.release(QA_2)
    outcome = await bench.handle.result()
    assert outcome.status is BatchStatus.RELEASED and outcome.report_sha256 is not None
    trust = desk.trust
    summary = verify_store(
        plant.engine, ca=trust.ca.certificate, checkpoint_certificate=trust.checkpoint_certificate
    )
    # The batch's chain; the people who signed have account chains of their own (enrolment).
    assert summary.chains[ChainKind.BATCH].records == len(bench.records())
    assert summary.accounts == summary.users


async def test_refusals_are_in_words_and_write_nothing(
    plant: Plant, workflow_env: WorkflowEnvironment, desk: Desk
) -> None:
    bench = await open_bench(plant, workflow_env, desk, RECIPE, prefix="B-RLR")
    sieve = content(CHANGES[3])
    for who in (OPERATOR, QA):
        assert (await refused(propose(bench, sieve, who))).type == "role_not_allowed"
    assert (await refused(propose(bench, sieve, reason=" "))).type == "reason_required"
    assert (await refused(propose(bench, sieve, number=2))).type == "redline_state"
    started = await refused(
        propose(bench, content({"kind": "instructions", "step_id": "charge", "instructions": "x"}))
    )
    assert started.type == "redline_step_started"
    assert "step 'charge' has started: it is the step to do now" in started.message
    unknown = await refused(propose(bench, content({**CHANGES[3], "after": "blend"})))
    assert unknown.type == "redline_invalid" and "no step 'blend'" in unknown.message
    assert bench.records() == []

    await propose(bench, sieve, BOTH)
    assert (await refused(decide(bench, sieve, BOTH))).type == "approver_is_proposer"
    assert (await refused(decide(bench, sieve, SUPERVISOR))).type == "role_not_allowed"
    other = await refused(decide(bench, sieve, content_hash="0" * 64))
    assert other.type == "payload_mismatch"
    no_reason = await refused(decide(bench, sieve, meaning=Meaning.REJECTED))
    assert no_reason.type == "reason_required"
    rejected = await decide(bench, sieve, meaning=Meaning.REJECTED, reason="not validated")
    assert rejected.redline is not None and rejected.redline.status is RedlineStatus.REJECTED
    assert rejected.redline.decision_reason == "not validated"
    again = await refused(decide(bench, sieve))
    assert again.type == "redline_state" and "already rejected by quinn" in again.message
    assert len((await bench.state()).steps) == 5 and stored_steps(bench) == 5

    weigh = content({"kind": "instructions", "step_id": "weigh", "instructions": "Weigh twice."})
    await propose(bench, weigh, number=2)
    await bench.sign("charge", OPERATOR)  # weigh is the step to do now: it has started
    late = await refused(decide(bench, weigh, number=2))
    assert late.type == "redline_step_started"
    assert "step 'weigh' has started: it is the step to do now" in late.message
    assert [m for _, _, m in bench.records()] == ["proposed", "rejected", "proposed", "performed"]
    assert bench.review().none  # a rejected or undecided redline changed nothing
    state = await bench.state()
    assert state.steps[1].status is StepStatus.PENDING
    assert [r.status for r in await stored_redlines(bench)] == [
        RedlineStatus.REJECTED,
        RedlineStatus.PROPOSED,
    ]


async def stored_redlines(bench: Bench) -> list[Redline]:
    """The batch's redlines as the store's records say."""
    with session_scope(bench.plant.engine) as session:
        rows = list_batch_records(session=session, batch_id=bench.batch_id)
        return redlines_of(record_of(r) for r in rows)
