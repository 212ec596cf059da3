"""Which steps a second person verifies (the recipe asks, or a critical input), and a correction
of such a step: it awaits verification again, by someone who entered none of its values, and the
steps after it wait for that verification while their clocks keep running."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from ebr.domain.batch import Actor, BatchStatus, StepStatus
from ebr.domain.execution import (
    apply_complete,
    apply_correct,
    apply_verify,
    check_complete,
    check_correct,
    check_verify,
)
from ebr.domain.meanings import Meaning
from ebr.domain.recipe import Recipe
from ebr.domain.recipe_loading import parse_recipe
from ebr.domain.redline_changes import started_steps
from ebr.domain.refusals import (
    NotAwaitingVerification,
    PayloadMismatch,
    Refusal,
    SameUserVerification,
    StepOutOfOrder,
    VerificationNotRequired,
    VerifierCorrected,
)
from ebr.domain.review import ExceptionKind, exception_report
from ebr.domain.step_verification import (
    VerificationDetail,
    needs_verification,
    step_status,
    verification_reason,
)
from ebr.domain.timing import deadlines, step_started_at
from tests.domain.builders import (
    OPERATOR,
    OPERATOR_2,
    QA,
    SUPERVISOR,
    SUPERVISOR_2,
    T0,
    as_yaml,
    mini_recipe_data,
    start_batch,
    step_record,
)

GOOD: dict[str, dict[str, Any]] = {
    "line-clearance": {"area-clear": True},
    "weigh-api": {"lot": "L-001", "mass": "10.01"},
    "close-lid": {},
    "mix": {"speed": "low", "time": 10},
}


def recipe(*, weigh_verify: bool = True, mix_max: int | None = None) -> Recipe:
    """The mini recipe; ``weigh_verify=False`` leaves weigh-api's critical mass to the rule."""
    data = mini_recipe_data()
    steps = data["procedure"][0]["operations"][0]["steps"]
    steps[1]["verify"] = weigh_verify
    if mix_max is not None:
        data["procedure"][0]["operations"][1]["steps"][1]["max_duration_minutes"] = mix_max
    return parse_recipe(as_yaml(data))


class Run:
    def __init__(self, made: Recipe) -> None:
        self.recipe = made
        self.state = start_batch(made)
        self.clock = T0

    def tick(self) -> datetime:
        self.clock += timedelta(minutes=1)
        return self.clock

    def complete(self, step_id: str, actor: Actor) -> None:
        check_complete(self.state, self.recipe, step_id=step_id, actor=actor, values=GOOD[step_id])
        apply_complete(self.state, self.recipe, step_id=step_id, actor=actor, at=self.tick())

    def verify(self, step_id: str, actor: Actor) -> None:
        check_verify(self.state, self.recipe, step_id=step_id, actor=actor)
        apply_verify(self.state, self.recipe, step_id=step_id, actor=actor, at=self.tick())

    def correct(self, step_id: str, actor: Actor, values: dict[str, Any]) -> None:
        check_correct(
            self.state, self.recipe, step_id=step_id, actor=actor, values=values, reason="misread"
        )
        record_id = f"B-0001/{step_id}/1/corrected/{self.tick().minute}"
        apply_correct(
            self.state,
            self.recipe,
            step_id=step_id,
            actor=actor,
            record_id=record_id,
            at=self.clock,
        )

    def status(self, step_id: str) -> StepStatus:
        progress = self.state.progress(step_id)
        assert progress is not None
        return progress.status

    def refused(self, error: type[Refusal], step_id: str, actor: Actor) -> Refusal:
        before = self.state.model_dump()
        with pytest.raises(error) as caught:
            check_verify(self.state, self.recipe, step_id=step_id, actor=actor)
        assert self.state.model_dump() == before, "a refused verification changes nothing"
        return caught.value


def weighed(made: Recipe) -> Run:
    """line-clearance verified; weigh-api performed by olga and verified by sam; close-lid done."""
    run = Run(made)
    run.complete("line-clearance", OPERATOR)
    run.verify("line-clearance", OPERATOR_2)
    run.complete("weigh-api", OPERATOR)
    run.verify("weigh-api", SUPERVISOR)
    run.complete("close-lid", OPERATOR)
    return run


def test_a_critical_input_needs_verification_even_when_the_recipe_says_no() -> None:
    steps = {s.id: s for s in recipe(weigh_verify=False).steps()}
    assert not steps["weigh-api"].verify
    assert needs_verification(steps["weigh-api"])
    assert verification_reason(steps["weigh-api"]) == "critical input: Net mass"
    assert verification_reason(steps["line-clearance"]) == "the recipe asks for it"
    assert not needs_verification(steps["mix"]) and verification_reason(steps["mix"]) is None


def test_a_critical_step_with_verify_false_awaits_a_second_person() -> None:
    run = Run(recipe(weigh_verify=False))
    run.complete("line-clearance", OPERATOR)
    run.verify("line-clearance", OPERATOR_2)
    run.complete("weigh-api", OPERATOR)
    assert run.status("weigh-api") is StepStatus.AWAITING_VERIFICATION
    with pytest.raises(StepOutOfOrder, match="must be verified by a second person"):
        check_complete(run.state, run.recipe, step_id="close-lid", actor=OPERATOR, values={})
    run.refused(SameUserVerification, "weigh-api", OPERATOR)
    run.verify("weigh-api", SUPERVISOR)
    assert run.status("weigh-api") is StepStatus.DONE
    with pytest.raises(VerificationNotRequired):
        check_verify(run.state, run.recipe, step_id="mix", actor=SUPERVISOR)


def test_a_correction_of_a_verified_step_returns_it_to_awaiting_verification() -> None:
    run = weighed(recipe())
    done = run.state.steps_done()
    first_done = run.state.steps[1].done_at
    run.correct("weigh-api", SUPERVISOR_2, {"lot": "L-001", "mass": "10.03"})
    progress = run.state.steps[1]
    assert progress.status is StepStatus.AWAITING_VERIFICATION
    assert (progress.verified_by, progress.verified_at) == (None, None)
    assert progress.corrected_by == ["sue"] and progress.corrected is not None
    assert progress.done_at == first_done, "the steps after it started then"
    assert run.state.steps_done() == done - 1
    # The next step waits for the verification, in words.
    with pytest.raises(StepOutOfOrder) as caught:
        check_complete(run.state, run.recipe, step_id="mix", actor=OPERATOR, values=GOOD["mix"])
    assert "'weigh-api' must be verified by a second person" in caught.value.message


def test_neither_the_corrector_nor_the_performer_verifies_the_correction() -> None:
    run = weighed(recipe())
    run.correct("weigh-api", SUPERVISOR_2, {"lot": "L-001", "mass": "10.03"})
    corrector = run.refused(VerifierCorrected, "weigh-api", SUPERVISOR_2)
    assert "corrected by sue" in str(corrector)
    assert corrector.details == {"step_id": "weigh-api", "corrected_by": ["sue"]}
    performer = run.refused(SameUserVerification, "weigh-api", OPERATOR)
    assert "performed by olga" in str(performer)
    run.verify("weigh-api", QA)  # a third person (the first verifier could verify again too)
    assert run.status("weigh-api") is StepStatus.DONE
    assert run.state.progress("weigh-api").verified_by == "quinn"  # type: ignore[union-attr]
    run.complete("mix", OPERATOR)  # the batch goes on


def test_every_corrector_of_the_execution_is_kept_from_verifying() -> None:
    run = weighed(recipe())
    run.correct("weigh-api", SUPERVISOR_2, {"lot": "L-001", "mass": "10.03"})
    run.correct("weigh-api", OPERATOR, {"lot": "L-001", "mass": "10.02"})
    assert run.state.steps[1].corrected_by == ["sue", "olga"]
    run.refused(VerifierCorrected, "weigh-api", SUPERVISOR_2)
    run.verify("weigh-api", SUPERVISOR)


def test_a_correction_before_the_first_verification_keeps_the_step_awaiting_it() -> None:
    run = Run(recipe())
    run.complete("line-clearance", OPERATOR)
    run.verify("line-clearance", OPERATOR_2)
    run.complete("weigh-api", OPERATOR)
    run.correct("weigh-api", SUPERVISOR, {"lot": "L-001", "mass": "10.02"})
    assert run.status("weigh-api") is StepStatus.AWAITING_VERIFICATION
    run.refused(VerifierCorrected, "weigh-api", SUPERVISOR)
    run.verify("weigh-api", SUPERVISOR_2)
    with pytest.raises(NotAwaitingVerification, match="already verified"):
        check_verify(run.state, run.recipe, step_id="weigh-api", actor=QA)


def test_a_correction_of_a_step_nobody_verifies_changes_nothing_of_its_progress() -> None:
    run = weighed(recipe())
    run.complete("mix", OPERATOR)
    before = run.state.progress("mix")
    assert before is not None
    kept = before.model_copy()
    run.correct("mix", SUPERVISOR, {"speed": "high", "time": 10})
    assert run.state.progress("mix") == kept
    assert run.state.status is BatchStatus.IN_PROGRESS


def test_the_clock_of_the_next_step_keeps_running_while_a_correction_awaits_verification() -> None:
    run = weighed(recipe(mix_max=30))
    started = step_started_at(run.state, "mix", not_before=T0)
    assert started is not None
    assert [d.step_id for d in deadlines(run.recipe, run.state, not_before=T0)] == ["mix"]
    run.correct("weigh-api", SUPERVISOR_2, {"lot": "L-001", "mass": "10.03"})
    assert step_started_at(run.state, "mix", not_before=T0) == started
    running = deadlines(run.recipe, run.state, not_before=T0)
    assert [(d.step_id, d.due_at) for d in running] == [("mix", started + timedelta(minutes=30))]
    run.clock += timedelta(hours=2)
    run.verify("weigh-api", QA)
    assert step_started_at(run.state, "mix", not_before=T0) == started, "no clock starts again"
    # and a redline cannot change the step whose clock runs
    assert started_steps(run.state)["mix"] == "has started: it is the step to do now"


def test_the_records_say_the_status_a_correction_leaves() -> None:
    made = recipe()
    weigh = made.step("weigh-api")
    mix = made.step("mix")
    assert weigh is not None and mix is not None

    def records(*meanings: Meaning) -> list[Any]:
        return [step_record("B-1", "weigh-api", m, T0, seq=i + 1) for i, m in enumerate(meanings)]

    P, V, C = Meaning.PERFORMED, Meaning.VERIFIED, Meaning.CORRECTED
    assert step_status(weigh, []) is StepStatus.PENDING
    assert step_status(weigh, records(P)) is StepStatus.AWAITING_VERIFICATION
    assert step_status(weigh, records(P, V)) is StepStatus.DONE
    assert step_status(weigh, records(P, V, C)) is StepStatus.AWAITING_VERIFICATION
    assert step_status(weigh, records(P, V, C, V)) is StepStatus.DONE
    assert step_status(weigh, records(P, C, V, C)) is StepStatus.AWAITING_VERIFICATION
    assert step_status(mix, records(P, C)) is StepStatus.DONE


def test_a_verifications_detail_names_only_the_correction() -> None:
    assert VerificationDetail.of(None) is None
    named = VerificationDetail.of({"verifies": "B-1/weigh-api/1/corrected/7"})
    assert named is not None and named.detail() == {"verifies": "B-1/weigh-api/1/corrected/7"}
    for bad in ({}, {"verifies": "x", "also": 1}, {"decision": "accept"}):
        with pytest.raises(PayloadMismatch):
            VerificationDetail.of(bad)


def test_a_verification_of_a_correction_is_late_after_the_correction_not_the_completion() -> None:
    def at(minutes: int) -> datetime:
        return T0 + timedelta(minutes=minutes)

    performed = step_record("B-1", "weigh-api", Meaning.PERFORMED, at(0), seq=1)
    verified = step_record("B-1", "weigh-api", Meaning.VERIFIED, at(5), seq=2, user="sam")
    corrected = step_record("B-1", "weigh-api", Meaning.CORRECTED, at(120), seq=3, user="sue")

    def again(minutes: int) -> Any:
        first = step_record("B-1", "weigh-api", Meaning.VERIFIED, at(minutes), seq=4, user="quinn")
        return first.model_copy(
            update={
                "record_id": f"{first.record_id}/4",
                "detail": {"verifies": corrected.record_id},
            }
        )

    on_time = exception_report([performed, verified, corrected, again(130)])
    assert [e.kind for e in on_time.exceptions] == [ExceptionKind.CORRECTION]
    late = exception_report([performed, verified, corrected, again(200)])
    (exception,) = [e for e in late.exceptions if e.kind is ExceptionKind.LATE_VERIFICATION]
    assert exception.summary == (
        "step 'weigh-api' verified by quinn 80 min after the correction it verifies"
    )
