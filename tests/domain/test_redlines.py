"""Redlines, pure: the changes and the recipe they make, what has started, who may propose and
decide, and the same redlines read back from signed records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from ebr.domain import redlines
from ebr.domain.batch import Actor, BatchState, StepStatus
from ebr.domain.meanings import Meaning
from ebr.domain.redline_changes import (
    RedlineContent,
    apply_redline,
    check_unstarted,
    describe,
    started_steps,
    touched,
)
from ebr.domain.redlines import Redline, RedlineStatus
from ebr.domain.refusals import (
    ApproverIsProposer,
    BatchNotActive,
    PayloadMismatch,
    ReasonRequired,
    RedlineInvalid,
    RedlineState,
    RedlineStepStarted,
    RoleNotAllowed,
    UnknownRedline,
)
from ebr.domain.review import ExceptionKind, exception_report
from ebr.domain.roles import Role
from ebr.domain.signed_records import SignedRecord
from ebr.domain.subjects import batch_chain, redline_subject
from tests.factories import OPERATOR, QA, SUPERVISOR, header_for, small_recipe

RECIPE = small_recipe()
T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
BOTH = Actor(user_id="bea", full_name="Bea Both", roles=(Role.SUPERVISOR, Role.QA))

ADD_SAMPLE: dict[str, Any] = {
    "kind": "add_step",
    "after": "clean-check",
    "step": {
        "id": "sample",
        "name": "Take a sample",
        "instructions": "Take a 5 g sample for the lab.",
        "kind": "record",
        "inputs": [{"name": "mass", "label": "Sample mass", "type": "number", "unit": "g"}],
    },
}


def content(*changes: dict[str, Any]) -> RedlineContent:
    return RedlineContent.model_validate({"changes": list(changes)})


def batch(done: int = 0) -> BatchState:
    """A batch of the small recipe with its first ``done`` steps done."""
    state = BatchState.start(header_for(RECIPE, "B-RL"), RECIPE)
    for progress in state.steps[:done]:
        progress.status = StepStatus.DONE
    return state


def proposed(by: Actor = SUPERVISOR, *changes: dict[str, Any]) -> Redline:
    return redlines.apply_proposal(
        rid="B-RL-RL1",
        content=content(*(changes or (ADD_SAMPLE,))),
        actor=by,
        reason="sampling asked by the lab",
        at=T0,
    )


def test_each_kind_of_change_makes_the_recipe_the_batch_runs() -> None:
    changed = apply_redline(
        RECIPE,
        content(
            ADD_SAMPLE,
            {"kind": "instructions", "step_id": "mixer", "instructions": "Mix at low speed only."},
            {"kind": "limits", "step_id": "sample", "input": "mass", "min": "4.5", "max": "5.5"},
            {
                "kind": "timer",
                "step_id": "note",
                "min_duration_minutes": 5,
                "complete_within": {"after": "sample", "minutes": 30},
            },
        ),
    )
    ids = [s.id for s in changed.steps()]
    assert ids == ["read-sop", "weigh-api", "clean-check", "sample", "mixer", "note"]
    assert changed.step("mixer").instructions == "Mix at low speed only."  # type: ignore[union-attr]
    mass = changed.step("sample").input("mass")  # type: ignore[union-attr]
    assert (mass.min, mass.max) == (Decimal("4.5"), Decimal("5.5"))  # type: ignore[union-attr]
    note = changed.step("note")
    assert note is not None and note.min_duration_minutes == 5
    assert note.complete_within is not None and note.complete_within.after == "sample"
    assert (changed.code, changed.version) == (RECIPE.code, RECIPE.version)
    assert changed.content_hash() != RECIPE.content_hash()
    assert RECIPE.step("sample") is None  # the master is untouched


def test_a_limit_can_be_removed_and_a_timer_cleared() -> None:
    changed = apply_redline(
        RECIPE,
        content(
            {"kind": "limits", "step_id": "weigh-api", "input": "weight", "max": "26"},
            {"kind": "timer", "step_id": "note"},
        ),
    )
    weight = changed.step("weigh-api").input("weight")  # type: ignore[union-attr]
    assert (weight.min, weight.max) == (None, Decimal("26"))  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"kind": "instructions", "step_id": "nope", "instructions": "x"}, "no step 'nope'"),
        ({**ADD_SAMPLE, "after": "nope"}, "no step 'nope'"),
        ({"kind": "limits", "step_id": "weigh-api", "input": "tare"}, "has no input 'tare'"),
        ({"kind": "limits", "step_id": "clean-check", "input": "clean"}, "is a check input"),
        (
            {"kind": "limits", "step_id": "weigh-api", "input": "weight", "min": "30", "max": "2"},
            "min 30 is greater than max 2",
        ),
        (
            {
                "kind": "timer",
                "step_id": "mixer",
                "complete_within": {"after": "note", "minutes": 5},
            },
            "must name an earlier step, but 'note' comes after 'mixer'",
        ),
        (
            {**ADD_SAMPLE, "step": {**ADD_SAMPLE["step"], "id": "mixer"}},
            "step id 'mixer' is used more than once",
        ),
    ],
)
def test_changes_that_do_not_make_a_valid_recipe_are_refused_in_words(
    change: dict[str, Any], words: str
) -> None:
    with pytest.raises(RedlineInvalid) as refused:
        apply_redline(RECIPE, content(change))
    assert words in refused.value.message
    assert refused.value.details["problems"]


def test_the_content_is_signed_in_its_canonical_form_and_hashed() -> None:
    made = content(ADD_SAMPLE)
    assert RedlineContent.of(made.detail()) == made
    assert made.content_hash() == RedlineContent.of(made.detail()).content_hash()
    assert content(ADD_SAMPLE, {"kind": "timer", "step_id": "note"}).content_hash() != (
        made.content_hash()
    )
    with pytest.raises(PayloadMismatch):
        RedlineContent.of({"changes": [ADD_SAMPLE]})  # defaults not spelled out
    with pytest.raises(RedlineInvalid):
        RedlineContent.of({"changes": []})
    assert touched(made) == ("sample",)
    assert describe(made.changes[0]) == "add step 'sample' (Take a sample) after 'clean-check'"


def test_the_step_to_do_and_every_step_before_it_have_started() -> None:
    state = batch(done=2)
    state.steps[1].status = StepStatus.AWAITING_VERIFICATION
    assert started_steps(state) == {
        "read-sop": "is done",
        "weigh-api": "is awaiting verification",
    }
    state.steps[1].status = StepStatus.DONE
    assert started_steps(state)["clean-check"] == "has started: it is the step to do now"
    assert "mixer" not in started_steps(state)


def test_a_change_to_a_started_or_done_step_is_refused_in_words() -> None:
    state = batch(done=2)  # clean-check is the step to do
    for step_id, words in [
        ("read-sop", "step 'read-sop' is done"),
        ("clean-check", "step 'clean-check' has started: it is the step to do now"),
    ]:
        change = content({"kind": "instructions", "step_id": step_id, "instructions": "Again."})
        with pytest.raises(RedlineStepStarted) as refused:
            check_unstarted(state, apply_redline(RECIPE, change), change)
        assert words in refused.value.message
        assert refused.value.details["step_id"] == step_id
    early = content({**ADD_SAMPLE, "after": "weigh-api"})
    with pytest.raises(RedlineStepStarted) as refused:
        check_unstarted(state, apply_redline(RECIPE, early), early)
    assert "would come before step 'clean-check'" in refused.value.message
    fine = content(ADD_SAMPLE, {"kind": "instructions", "step_id": "mixer", "instructions": "Go."})
    check_unstarted(state, apply_redline(RECIPE, fine), fine)


def test_a_step_reopened_by_a_rework_counts_as_started() -> None:
    state = batch(done=4)
    state.steps[3].status, state.steps[3].execution = StepStatus.PENDING, 2
    change = content({"kind": "timer", "step_id": "mixer", "max_duration_minutes": 9})
    with pytest.raises(RedlineStepStarted, match="opened again by a rework"):
        check_unstarted(state, apply_redline(RECIPE, change), change)


def test_a_supervisor_proposes_with_a_reason_while_steps_remain() -> None:
    state, new = batch(done=2), content(ADD_SAMPLE)
    after = redlines.check_proposal(state, RECIPE, actor=SUPERVISOR, content=new, reason="lab")
    assert after.step("sample") is not None
    with pytest.raises(RoleNotAllowed):
        redlines.check_proposal(state, RECIPE, actor=QA, content=new, reason="lab")
    with pytest.raises(RoleNotAllowed):
        redlines.check_proposal(state, RECIPE, actor=OPERATOR, content=new, reason="lab")
    with pytest.raises(ReasonRequired):
        redlines.check_proposal(state, RECIPE, actor=SUPERVISOR, content=new, reason="  ")
    done = batch(done=5)
    done.status = done.status.__class__("awaiting_review")
    with pytest.raises(BatchNotActive, match="awaiting review"):
        redlines.check_proposal(done, RECIPE, actor=SUPERVISOR, content=new, reason="lab")


def test_qa_decides_once_naming_the_content_and_never_their_own_proposal() -> None:
    redline = proposed()
    digest = redline.content_hash

    def decide(actor: Actor, meaning: Meaning, reason: str | None = None, **kw: Any) -> None:
        redlines.check_decision(
            redline,
            actor=actor,
            meaning=meaning,
            reason=reason,
            content_hash=kw.get("content_hash", digest),
        )

    decide(QA, Meaning.APPROVED)
    with pytest.raises(RoleNotAllowed):
        decide(SUPERVISOR, Meaning.APPROVED)
    with pytest.raises(ReasonRequired):
        decide(QA, Meaning.REJECTED, "")
    with pytest.raises(PayloadMismatch):
        decide(QA, Meaning.APPROVED, content_hash="0" * 64)
    with pytest.raises(PayloadMismatch):
        decide(QA, Meaning.RELEASED)
    own = proposed(BOTH)
    with pytest.raises(ApproverIsProposer):
        redlines.check_decision(
            own, actor=BOTH, meaning=Meaning.APPROVED, reason=None, content_hash=own.content_hash
        )
    approved = redlines.apply_decision(
        redline, actor=QA, meaning=Meaning.APPROVED, reason=None, at=T0, seq=7
    )
    assert (approved.status, approved.decided_by, approved.decided_seq) == (
        RedlineStatus.APPROVED,
        "quinn",
        7,
    )
    with pytest.raises(RedlineState, match="already approved by quinn"):
        redlines.check_decision(
            approved, actor=QA, meaning=Meaning.REJECTED, reason="no", content_hash=digest
        )
    with pytest.raises(UnknownRedline):
        redlines.find_redline([approved], "B-RL-RL9")


def test_the_effective_recipe_applies_approved_redlines_in_the_order_approved() -> None:
    first = redlines.apply_decision(
        proposed(SUPERVISOR, {"kind": "instructions", "step_id": "note", "instructions": "One."}),
        actor=QA,
        meaning=Meaning.APPROVED,
        reason=None,
        at=T0,
        seq=9,
    )
    second = redlines.apply_decision(
        proposed(SUPERVISOR, {"kind": "instructions", "step_id": "note", "instructions": "Two."}),
        actor=QA,
        meaning=Meaning.APPROVED,
        reason=None,
        at=T0,
        seq=4,
    )
    refused = redlines.apply_decision(
        proposed(), actor=QA, meaning=Meaning.REJECTED, reason="no", at=T0, seq=5
    )
    recipe = redlines.effective(RECIPE, [first, second, refused])
    assert recipe.step("note").instructions == "One."  # type: ignore[union-attr]
    assert recipe.step("sample") is None
    assert redlines.effective(RECIPE, []) == RECIPE


def test_an_added_step_joins_the_batch_pending_in_its_place() -> None:
    state = batch(done=2)
    redlines.align_steps(state, apply_redline(RECIPE, content(ADD_SAMPLE)))
    assert [p.step_id for p in state.steps][2:4] == ["clean-check", "sample"]
    assert state.steps[3].status is StepStatus.PENDING
    assert state.steps[0].status is StepStatus.DONE


def _record(seq: int, meaning: Meaning, by: Actor, **fields: Any) -> SignedRecord:
    return SignedRecord(
        record_id=f"B-RL/redline:B-RL-RL1/{meaning.value}",
        chain=batch_chain("B-RL"),
        seq=seq,
        subject=redline_subject("B-RL-RL1"),
        meaning=meaning,
        user_id=by.user_id,
        user_name=by.full_name,
        station="office",
        recorded_at=T0 + timedelta(minutes=seq),
        **fields,
    )


def test_redlines_read_from_signed_records_are_the_workflow_s_and_are_exceptions() -> None:
    redline = proposed()
    records = [
        _record(
            1, Meaning.PROPOSED, SUPERVISOR, reason=redline.reason, detail=redline.content.detail()
        ),
        _record(2, Meaning.APPROVED, QA, detail={"content_hash": redline.content_hash}),
    ]
    (read,) = redlines.redlines_of(records)
    expected = redlines.apply_decision(
        redline.model_copy(update={"proposed_at": T0 + timedelta(minutes=1)}),
        actor=QA,
        meaning=Meaning.APPROVED,
        reason=None,
        at=T0 + timedelta(minutes=2),
        seq=2,
    )
    assert read == expected
    (exception,) = exception_report(records).exceptions
    assert exception.kind is ExceptionKind.REDLINE and exception.id == "redline:B-RL-RL1"
    assert "approved by quinn: add step 'sample'" in exception.summary
    assert "sampling asked by the lab" in exception.summary
    assert exception_report(records[:1]).none  # a proposal alone changed nothing
