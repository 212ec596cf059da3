"""Holds: who places and lifts them, their durations, and a completion refused during a hold."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ebr.domain.batch import Actor, BatchStatus
from ebr.domain.execution import check_complete
from ebr.domain.holds import (
    BY_THE_RULES,
    Hold,
    active_hold,
    apply_lift,
    apply_place,
    check_lift,
    check_not_on_hold,
    check_place,
    find_hold,
    hold_for_deviation,
    lift_for_deviation,
)
from ebr.domain.refusals import (
    BatchNotActive,
    BatchOnHold,
    DeviationStateError,
    HoldNotActive,
    ReasonRequired,
    RefusalKind,
    RoleNotAllowed,
    TransitionNotAllowed,
    UnknownHold,
    UnknownStep,
)
from ebr.domain.roles import Role
from tests.domain.builders import AUDITOR, OPERATOR, QA, SUPERVISOR, T0, mini_recipe, start_batch


def _placed(actor: Actor = SUPERVISOR, hold_id: str = "H-1", minutes: int = 0) -> Hold:
    at = T0 + timedelta(minutes=minutes)
    check_place(BatchStatus.IN_PROGRESS, actor=actor, reason="scale out of calibration")
    return apply_place(
        hold_id=hold_id, batch_id="B-0001", actor=actor, reason="scale out of calibration", at=at
    )


# placing ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", [SUPERVISOR, QA])
def test_a_supervisor_or_qa_places_a_hold_with_a_reason(actor: Actor) -> None:
    hold = _placed(actor)
    assert (hold.placed_by, hold.placed_at, hold.reason) == (
        actor.user_id,
        T0,
        "scale out of calibration",
    )
    assert hold.active
    assert hold.lifted_at is None and hold.deviation_id is None


@pytest.mark.parametrize("actor", [OPERATOR, AUDITOR])
def test_others_may_not_place_a_hold(actor: Actor) -> None:
    with pytest.raises(RoleNotAllowed) as caught:
        check_place(BatchStatus.IN_PROGRESS, actor=actor, reason="why not")
    assert caught.value.details == {"allowed_roles": ["qa", "supervisor"]}
    assert caught.value.kind is RefusalKind.FORBIDDEN


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_hold_needs_a_reason(reason: str | None) -> None:
    with pytest.raises(ReasonRequired) as caught:
        check_place(BatchStatus.IN_PROGRESS, actor=SUPERVISOR, reason=reason)
    assert caught.value.details == {"field": "reason"}


@pytest.mark.parametrize(
    "status", [BatchStatus.IN_PROGRESS, BatchStatus.ON_HOLD, BatchStatus.AWAITING_REVIEW]
)
def test_a_hold_may_be_placed_at_any_time_before_the_decision(status: BatchStatus) -> None:
    check_place(status, actor=QA, reason="suspected mix-up")


@pytest.mark.parametrize(
    "status", [BatchStatus.RELEASED, BatchStatus.REJECTED, BatchStatus.CANCELLED]
)
def test_a_decided_batch_cannot_be_held(status: BatchStatus) -> None:
    with pytest.raises(TransitionNotAllowed) as caught:
        check_place(status, actor=QA, reason="too late")
    assert caught.value.details["event"] == "hold"


# lifting ----------------------------------------------------------------------------------------


def test_only_qa_lifts_a_hold_with_a_reason_and_its_duration_is_kept() -> None:
    hold = _placed()
    with pytest.raises(RoleNotAllowed) as caught:
        check_lift(hold, actor=SUPERVISOR, reason="recalibrated")
    assert caught.value.details == {"hold_id": "H-1", "allowed_roles": ["qa"]}
    with pytest.raises(ReasonRequired):
        check_lift(hold, actor=QA, reason=" ")
    check_lift(hold, actor=QA, reason="recalibrated, certificate CAL-7")
    at = T0 + timedelta(hours=2, minutes=5)
    lifted = apply_lift(hold, actor=QA, reason="recalibrated, certificate CAL-7", at=at)
    assert not lifted.active
    assert (lifted.lifted_by, lifted.lifted_at, lifted.lift_reason) == (
        "quinn",
        at,
        "recalibrated, certificate CAL-7",
    )
    assert lifted.duration(at + timedelta(days=3)) == timedelta(hours=2, minutes=5)
    assert hold.active, "the hold as placed is unchanged: lifting makes a new version"


def test_an_active_holds_duration_runs_to_now() -> None:
    assert _placed().duration(T0 + timedelta(minutes=90)) == timedelta(minutes=90)


def test_a_lifted_hold_cannot_be_lifted_again() -> None:
    lifted = apply_lift(_placed(), actor=QA, reason="ok", at=T0)
    with pytest.raises(HoldNotActive) as caught:
        check_lift(lifted, actor=QA, reason="again")
    assert caught.value.details == {"hold_id": "H-1", "lifted_by": "quinn"}
    assert caught.value.kind is RefusalKind.CONFLICT


def test_a_deviations_hold_is_not_lifted_by_hand() -> None:
    hold = hold_for_deviation(
        hold_id="H-2",
        batch_id="B-0001",
        deviation_id="B-0001-DEV-001",
        description="Net mass out of limits",
        at=T0,
    )
    assert (hold.placed_by, hold.deviation_id) == (BY_THE_RULES, "B-0001-DEV-001")
    assert hold.reason == "deviation B-0001-DEV-001: Net mass out of limits"
    with pytest.raises(DeviationStateError) as caught:
        check_lift(hold, actor=QA, reason="looks fine")
    assert caught.value.details == {"hold_id": "H-2", "deviation_id": "B-0001-DEV-001"}
    later = T0 + timedelta(hours=1)
    lifted = lift_for_deviation(hold, by="quinn", reason="dispositioned: accept", at=later)
    assert (lifted.active, lifted.lifted_by, lifted.duration(later)) == (
        False,
        "quinn",
        timedelta(hours=1),
    )


def test_the_active_hold_is_the_earliest_still_active() -> None:
    first = _placed(hold_id="H-1", minutes=0)
    second = _placed(hold_id="H-2", minutes=10)
    assert active_hold([]) is None
    assert active_hold([second, first]) == first
    lifted = apply_lift(first, actor=QA, reason="ok", at=T0 + timedelta(minutes=20))
    assert active_hold([lifted, second]) == second
    assert active_hold([lifted]) is None


def test_find_hold() -> None:
    hold = _placed()
    assert find_hold([hold], "H-1") == hold
    with pytest.raises(UnknownHold) as caught:
        find_hold([hold], "H-9")
    assert (caught.value.details, caught.value.kind) == ({"hold_id": "H-9"}, RefusalKind.NOT_FOUND)


# completion during a hold -----------------------------------------------------------------------


def test_completion_during_a_hold_is_refused_with_the_holds_reason() -> None:
    recipe = mini_recipe()
    state = start_batch(recipe)
    hold = _placed()
    before = state.model_dump()
    with pytest.raises(BatchOnHold) as caught:
        check_complete(
            state,
            recipe,
            step_id="line-clearance",
            actor=OPERATOR,
            values={"area-clear": True},
            hold=hold,
        )
    error = caught.value
    assert (error.code, error.kind) == ("batch_on_hold", RefusalKind.CONFLICT)
    assert error.message == "the batch is on hold: scale out of calibration"
    assert error.details == {
        "hold_id": "H-1",
        "reason": "scale out of calibration",
        "placed_by": "sam",
        "placed_at": T0.isoformat(),
        "deviation_id": None,
    }
    assert state.model_dump() == before


def test_on_hold_comes_before_the_batch_status_and_after_an_unknown_step() -> None:
    recipe = mini_recipe()
    state = start_batch(recipe)
    state.status = BatchStatus.ON_HOLD
    hold = _placed()
    with pytest.raises(BatchOnHold):
        check_complete(state, recipe, step_id="mix", actor=OPERATOR, values={}, hold=hold)
    with pytest.raises(UnknownStep):
        check_complete(state, recipe, step_id="nope", actor=OPERATOR, values={}, hold=hold)
    with pytest.raises(BatchNotActive):
        check_complete(state, recipe, step_id="mix", actor=OPERATOR, values={})


def test_a_lifted_hold_or_none_does_not_refuse() -> None:
    recipe = mini_recipe()
    state = start_batch(recipe)
    lifted = apply_lift(_placed(), actor=QA, reason="ok", at=T0)
    for hold in (None, lifted):
        check_not_on_hold(hold)
        check_complete(
            state,
            recipe,
            step_id="line-clearance",
            actor=OPERATOR,
            values={"area-clear": True},
            hold=hold,
        )


def test_a_person_holding_both_roles_may_place_and_lift() -> None:
    boss = Actor(user_id="bo", full_name="Bo", roles=(Role.SUPERVISOR, Role.QA))
    hold = _placed(boss)
    check_lift(hold, actor=boss, reason="done")
