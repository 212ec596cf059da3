"""The rules of executing a batch: order, roles, verification by a second person, and the end."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from ebr.domain.batch import Actor, BatchState, BatchStatus, StepStatus
from ebr.domain.execution import (
    VERIFYING_ROLES,
    apply_complete,
    apply_verify,
    check_complete,
    check_verify,
    verifiers_of,
)
from ebr.domain.recipe import CheckInput, ChoiceInput, NumberInput, Recipe, Step, TextInput
from ebr.domain.recipe_loading import recipe_from_data
from ebr.domain.refusals import (
    BatchNotActive,
    InvalidValues,
    NotAwaitingVerification,
    Refusal,
    RefusalKind,
    RoleNotAllowed,
    SameUserVerification,
    StepAlreadyDone,
    StepInProgress,
    StepOutOfOrder,
    UnknownStep,
    VerificationNotRequired,
)
from ebr.domain.roles import Role
from ebr.domain.step_verification import needs_verification
from tests.domain.builders import (
    AUDITOR,
    EXAMPLES,
    OPERATOR,
    OPERATOR_2,
    QA,
    SUPERVISOR,
    SUPERVISOR_2,
    T0,
    example,
    mini_recipe,
    mini_recipe_data,
    start_batch,
)

GOOD: dict[str, dict[str, Any]] = {
    "line-clearance": {"area-clear": True},
    "weigh-api": {"lot": "L-001", "mass": "10.01"},
    "close-lid": {},
    "mix": {"speed": "low", "time": 10},
    "supervisor-check": {"ok": True},
    "qa-release": {"released": True},
}


class Run:
    """A batch of the mini recipe, advanced step by step through the real check/apply pairs."""

    def __init__(self) -> None:
        self.recipe = mini_recipe()
        self.state = start_batch(self.recipe)
        self.clock = T0

    def tick(self) -> datetime:
        self.clock += timedelta(minutes=1)
        return self.clock

    def complete(self, step_id: str, actor: Actor, values: dict[str, Any] | None = None) -> None:
        entered = GOOD[step_id] if values is None else values
        check_complete(self.state, self.recipe, step_id=step_id, actor=actor, values=entered)
        apply_complete(self.state, self.recipe, step_id=step_id, actor=actor, at=self.tick())

    def verify(self, step_id: str, actor: Actor) -> None:
        check_verify(self.state, self.recipe, step_id=step_id, actor=actor)
        apply_verify(self.state, self.recipe, step_id=step_id, actor=actor, at=self.tick())

    def status(self, step_id: str) -> StepStatus:
        progress = self.state.progress(step_id)
        assert progress is not None
        return progress.status

    def up_to_mix(self) -> None:
        self.complete("line-clearance", OPERATOR)
        self.verify("line-clearance", OPERATOR_2)
        self.complete("weigh-api", OPERATOR)
        self.verify("weigh-api", SUPERVISOR)
        self.complete("close-lid", OPERATOR)


def _refused_complete(
    run: Run,
    step_id: str,
    actor: Actor,
    error: type[Refusal],
    busy: frozenset[str] = frozenset(),
) -> Refusal:
    before = run.state.model_dump()
    with pytest.raises(error) as caught:
        check_complete(
            run.state,
            run.recipe,
            step_id=step_id,
            actor=actor,
            values=GOOD.get(step_id, {}),
            busy=busy,
        )
    assert run.state.model_dump() == before, "a refused request changes nothing"
    return caught.value


def _refused_verify(
    run: Run,
    step_id: str,
    actor: Actor,
    error: type[Refusal],
    busy: frozenset[str] = frozenset(),
) -> Refusal:
    before = run.state.model_dump()
    with pytest.raises(error) as caught:
        check_verify(run.state, run.recipe, step_id=step_id, actor=actor, busy=busy)
    assert run.state.model_dump() == before, "a refused request changes nothing"
    return caught.value


def _status(state: BatchState) -> BatchStatus:
    """The status read afresh: mypy would otherwise keep an earlier assert's narrowing."""
    return state.status


# starting ---------------------------------------------------------------------------------------


def test_a_new_batch_has_every_step_pending_in_recipe_order() -> None:
    run = Run()
    assert run.state.status is BatchStatus.IN_PROGRESS
    assert [p.step_id for p in run.state.steps] == [s.id for s in run.recipe.steps()]
    assert all(p.status is StepStatus.PENDING for p in run.state.steps)
    current = run.state.current()
    assert current is not None and current.step_id == "line-clearance"
    assert run.state.header.recipe_hash == run.recipe.content_hash()
    assert run.state.completed_at is None


# order ------------------------------------------------------------------------------------------


def test_steps_must_be_done_in_order_and_the_error_names_the_next_step() -> None:
    run = Run()
    error = _refused_complete(run, "mix", OPERATOR, StepOutOfOrder)
    assert error.details == {"step_id": "mix", "next_step": "line-clearance"}
    assert error.message == "step 'line-clearance' comes before 'mix' and is not done yet"
    assert error.kind is RefusalKind.CONFLICT


def test_order_holds_across_operations() -> None:
    run = Run()
    run.up_to_mix()
    error = _refused_complete(run, "qa-release", QA, StepOutOfOrder)
    assert error.details == {"step_id": "qa-release", "next_step": "mix"}


def test_a_step_awaiting_verification_blocks_the_next() -> None:
    run = Run()
    run.complete("line-clearance", OPERATOR)
    assert run.status("line-clearance") is StepStatus.AWAITING_VERIFICATION
    error = _refused_complete(run, "weigh-api", OPERATOR, StepOutOfOrder)
    assert error.details == {"step_id": "weigh-api", "next_step": "line-clearance"}
    assert "must be verified by a second person" in error.message
    run.verify("line-clearance", OPERATOR_2)
    assert run.status("line-clearance") is StepStatus.DONE
    run.complete("weigh-api", OPERATOR)
    assert run.status("weigh-api") is StepStatus.AWAITING_VERIFICATION


def test_a_step_without_verification_is_done_at_once() -> None:
    run = Run()
    run.up_to_mix()
    progress = run.state.progress("close-lid")
    assert progress is not None
    assert progress.status is StepStatus.DONE
    assert progress.performed_by == OPERATOR.user_id
    assert progress.performed_at == run.clock
    assert progress.verified_by is None


def test_unknown_step() -> None:
    run = Run()
    error = _refused_complete(run, "weigh-apl", OPERATOR, UnknownStep)
    assert error.details == {"step_id": "weigh-apl"}
    assert error.kind is RefusalKind.NOT_FOUND
    assert "MINI-1 v1" in error.message
    _refused_verify(run, "weigh-apl", SUPERVISOR, UnknownStep)


def test_a_step_already_done_cannot_be_done_again() -> None:
    run = Run()
    run.complete("line-clearance", OPERATOR)
    awaiting = _refused_complete(run, "line-clearance", OPERATOR_2, StepAlreadyDone)
    assert awaiting.details == {"step_id": "line-clearance", "performed_by": "olga"}
    run.verify("line-clearance", OPERATOR_2)
    done = _refused_complete(run, "line-clearance", OPERATOR, StepAlreadyDone)
    assert done.details == {"step_id": "line-clearance", "performed_by": "olga"}


def test_a_step_being_recorded_is_busy() -> None:
    run = Run()
    error = _refused_complete(
        run, "line-clearance", OPERATOR, StepInProgress, busy=frozenset({"line-clearance"})
    )
    assert "line-clearance" in error.message
    run.complete("line-clearance", OPERATOR)
    _refused_verify(
        run, "line-clearance", OPERATOR_2, StepInProgress, busy=frozenset({"line-clearance"})
    )


def test_another_step_being_busy_does_not_block() -> None:
    run = Run()
    check_complete(
        run.state,
        run.recipe,
        step_id="line-clearance",
        actor=OPERATOR,
        values=GOOD["line-clearance"],
        busy=frozenset({"weigh-api"}),
    )


# roles ------------------------------------------------------------------------------------------


def test_the_performer_must_hold_the_steps_role() -> None:
    run = Run()
    run.up_to_mix()
    run.complete("mix", OPERATOR)
    error = _refused_complete(run, "supervisor-check", OPERATOR, RoleNotAllowed)
    assert error.details == {"step_id": "supervisor-check", "required_role": "supervisor"}
    assert error.kind is RefusalKind.FORBIDDEN


@pytest.mark.parametrize("actor", [SUPERVISOR, QA, AUDITOR])
def test_other_roles_do_not_perform_operator_steps(actor: Actor) -> None:
    run = Run()
    error = _refused_complete(run, "line-clearance", actor, RoleNotAllowed)
    assert error.details == {"step_id": "line-clearance", "required_role": "operator"}


def test_qa_step_needs_qa() -> None:
    run = Run()
    run.up_to_mix()
    run.complete("mix", OPERATOR)
    run.complete("supervisor-check", SUPERVISOR)
    run.verify("supervisor-check", SUPERVISOR_2)
    error = _refused_complete(run, "qa-release", SUPERVISOR, RoleNotAllowed)
    assert error.details == {"step_id": "qa-release", "required_role": "qa"}
    run.complete("qa-release", QA)


# verification -----------------------------------------------------------------------------------


def test_the_performer_cannot_verify_their_own_step() -> None:
    run = Run()
    run.complete("line-clearance", OPERATOR)
    error = _refused_verify(run, "line-clearance", OPERATOR, SameUserVerification)
    assert error.code == "verifier_is_performer"
    assert error.kind is RefusalKind.FORBIDDEN


def test_the_performer_cannot_verify_even_with_a_verifying_role() -> None:
    boss = Actor(user_id="bo", full_name="Bo", roles=(Role.OPERATOR, Role.SUPERVISOR, Role.QA))
    run = Run()
    run.complete("line-clearance", boss)
    _refused_verify(run, "line-clearance", boss, SameUserVerification)


@pytest.mark.parametrize("verifier", [OPERATOR_2, SUPERVISOR, QA])
def test_operator_step_is_verified_by_an_operator_supervisor_or_qa(verifier: Actor) -> None:
    run = Run()
    run.complete("line-clearance", OPERATOR)
    run.verify("line-clearance", verifier)
    progress = run.state.progress("line-clearance")
    assert progress is not None
    assert (progress.status, progress.verified_by) == (StepStatus.DONE, verifier.user_id)
    assert progress.verified_at == run.clock


def test_auditor_cannot_verify() -> None:
    run = Run()
    run.complete("line-clearance", OPERATOR)
    error = _refused_verify(run, "line-clearance", AUDITOR, RoleNotAllowed)
    assert error.details == {
        "step_id": "line-clearance",
        "allowed_roles": ["operator", "qa", "supervisor"],
    }


def _at_supervisor_check() -> Run:
    run = Run()
    run.up_to_mix()
    run.complete("mix", OPERATOR)
    run.complete("supervisor-check", SUPERVISOR)
    return run


def test_supervisor_step_is_not_verified_by_an_operator() -> None:
    run = _at_supervisor_check()
    error = _refused_verify(run, "supervisor-check", OPERATOR, RoleNotAllowed)
    assert error.details == {"step_id": "supervisor-check", "allowed_roles": ["qa", "supervisor"]}
    assert "qa, supervisor" in error.message


@pytest.mark.parametrize("verifier", [SUPERVISOR_2, QA])
def test_supervisor_step_is_verified_by_another_supervisor_or_qa(verifier: Actor) -> None:
    run = _at_supervisor_check()
    run.verify("supervisor-check", verifier)
    assert run.status("supervisor-check") is StepStatus.DONE


def test_verifying_roles_are_supervisor_and_qa() -> None:
    assert frozenset({Role.SUPERVISOR, Role.QA}) == VERIFYING_ROLES


def test_verifying_a_step_that_needs_no_verification() -> None:
    run = Run()
    run.up_to_mix()
    error = _refused_verify(run, "close-lid", SUPERVISOR, VerificationNotRequired)
    assert "close-lid" in error.message


def test_verifying_a_step_not_done_yet() -> None:
    run = Run()
    error = _refused_verify(run, "line-clearance", SUPERVISOR, NotAwaitingVerification)
    assert error.message == "step 'line-clearance' is not done yet"
    assert error.details == {"step_id": "line-clearance"}


def test_verifying_twice() -> None:
    run = Run()
    run.complete("line-clearance", OPERATOR)
    run.verify("line-clearance", OPERATOR_2)
    error = _refused_verify(run, "line-clearance", SUPERVISOR, NotAwaitingVerification)
    assert error.message == "step 'line-clearance' is already verified"


# values through the rules -----------------------------------------------------------------------


def test_check_complete_returns_the_typed_values() -> None:
    run = Run()
    run.complete("line-clearance", OPERATOR)
    run.verify("line-clearance", OPERATOR_2)
    recorded = check_complete(
        run.state,
        run.recipe,
        step_id="weigh-api",
        actor=OPERATOR,
        values={"lot": "L-1", "mass": {"value": "10100", "unit": "g"}},
    )
    mass = recorded[1]
    assert (mass.value, mass.unit, mass.entered) == ("10.100", "kg", "10100 g")
    assert (mass.in_spec, mass.critical) == (False, True)


def test_invalid_values_refuse_the_step() -> None:
    run = Run()
    run.complete("line-clearance", OPERATOR)
    run.verify("line-clearance", OPERATOR_2)
    before = run.state.model_dump()
    with pytest.raises(InvalidValues) as caught:
        check_complete(
            run.state, run.recipe, step_id="weigh-api", actor=OPERATOR, values={"lot": "L-1"}
        )
    assert caught.value.details == [{"field": "mass", "reason": "Net mass is required"}]
    assert run.state.model_dump() == before


# batch status -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status",
    [
        BatchStatus.ON_HOLD,
        BatchStatus.AWAITING_REVIEW,
        BatchStatus.RELEASED,
        BatchStatus.REJECTED,
        BatchStatus.CANCELLED,
    ],
)
def test_nothing_is_done_on_a_batch_that_is_not_in_progress(status: BatchStatus) -> None:
    run = Run()
    run.complete("line-clearance", OPERATOR)
    run.state.status = status
    error = _refused_verify(run, "line-clearance", OPERATOR_2, BatchNotActive)
    assert error.details == {"status": status.value}
    assert status.value.replace("_", " ") in error.message
    run.state.status = BatchStatus.IN_PROGRESS
    run.verify("line-clearance", OPERATOR_2)
    run.state.status = status
    _refused_complete(run, "weigh-api", OPERATOR, BatchNotActive)


def test_when_every_step_is_done_the_batch_awaits_review() -> None:
    run = _at_supervisor_check()
    assert run.state.steps_done() == 4
    run.verify("supervisor-check", QA)
    assert _status(run.state) is BatchStatus.IN_PROGRESS
    assert not run.state.all_done()
    run.complete("qa-release", QA)
    assert run.state.all_done()
    assert run.state.steps_done() == 6
    assert run.state.current() is None
    assert _status(run.state) is BatchStatus.AWAITING_REVIEW
    assert run.state.completed_at == run.clock
    _refused_complete(run, "qa-release", QA, BatchNotActive)


def test_a_batch_whose_last_step_needs_verification_ends_on_the_verification() -> None:
    data = mini_recipe_data()
    data["procedure"][0]["operations"] = data["procedure"][0]["operations"][:1]
    recipe = recipe_from_data(data)
    state = start_batch(recipe)
    apply_complete(state, recipe, step_id="line-clearance", actor=OPERATOR, at=T0)
    apply_verify(state, recipe, step_id="line-clearance", actor=OPERATOR_2, at=T0)
    apply_complete(state, recipe, step_id="weigh-api", actor=OPERATOR, at=T0)
    assert _status(state) is BatchStatus.IN_PROGRESS
    assert state.completed_at is None
    later = T0 + timedelta(hours=1)
    check_verify(state, recipe, step_id="weigh-api", actor=SUPERVISOR)
    apply_verify(state, recipe, step_id="weigh-api", actor=SUPERVISOR, at=later)
    assert _status(state) is BatchStatus.AWAITING_REVIEW
    assert state.completed_at == later


# the example recipes run end to end ------------------------------------------------------------


def _good_value(spec: NumberInput | TextInput | CheckInput | ChoiceInput) -> Any:
    if isinstance(spec, NumberInput):
        return str(spec.min if spec.min is not None else spec.max if spec.max is not None else 1)
    if isinstance(spec, TextInput):
        return "ref-001"
    if isinstance(spec, CheckInput):
        return True if spec.expected is None else spec.expected
    return spec.options[0]


def _performer(step: Step) -> Actor:
    return {Role.OPERATOR: OPERATOR, Role.SUPERVISOR: SUPERVISOR, Role.QA: QA}[step.role]


def _run_to_the_end(recipe: Recipe) -> BatchState:
    state = start_batch(recipe)
    verifier = Actor(user_id="vera", full_name="Vera", roles=(Role.SUPERVISOR, Role.QA))
    at = T0
    for step in recipe.steps():
        values = {spec.name: _good_value(spec) for spec in step.inputs}
        performer = _performer(step)
        recorded = check_complete(state, recipe, step_id=step.id, actor=performer, values=values)
        assert all(r.in_spec in (True, None) for r in recorded), step.id
        at += timedelta(minutes=5)
        apply_complete(state, recipe, step_id=step.id, actor=performer, at=at)
        if needs_verification(step):
            check_verify(state, recipe, step_id=step.id, actor=verifier)
            apply_verify(state, recipe, step_id=step.id, actor=verifier, at=at)
    return state


@pytest.mark.parametrize("filename", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_each_example_recipe_runs_to_awaiting_review(filename: str) -> None:
    recipe = example(filename)
    state = _run_to_the_end(recipe)
    assert state.status is BatchStatus.AWAITING_REVIEW
    assert state.completed_at is not None
    assert state.steps_done() == len(list(recipe.steps()))
    verified = {p.step_id for p in state.steps if p.verified_by == "vera"}
    assert verified == {s.id for s in recipe.steps() if needs_verification(s)}
    assert verified > {s.id for s in recipe.steps() if s.verify}, "and critical inputs too"


def test_a_qa_step_is_verified_only_by_qa() -> None:
    assert verifiers_of(Role.QA) == frozenset({Role.QA})
    assert verifiers_of(Role.SUPERVISOR) == frozenset({Role.SUPERVISOR, Role.QA})
    assert verifiers_of(Role.OPERATOR) == frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.QA})
