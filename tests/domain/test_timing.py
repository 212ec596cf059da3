"""Time constraints: when a step starts, the minimum duration, and every deadline computed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ebr.domain.batch import Actor, BatchState, StepStatus
from ebr.domain.execution import apply_complete, apply_verify
from ebr.domain.recipe import Recipe, Step
from ebr.domain.recipe_loading import recipe_from_data
from ebr.domain.refusals import RefusalKind, TooEarly
from ebr.domain.status import apply_reopen
from ebr.domain.timing import (
    Deadline,
    TimerKind,
    breach,
    check_min_duration,
    deadlines,
    done_at,
    earliest_completion,
    step_started_at,
)
from tests.domain.builders import (
    OPERATOR,
    OPERATOR_2,
    SUPERVISOR,
    T0,
    mini_recipe_data,
    start_batch,
)


def _min(n: int) -> timedelta:
    return timedelta(minutes=n)


def _timed() -> Recipe:
    """Mini recipe: line clearance within 60 min of the start; mix 15 to 30 min; the supervisor
    check within 240 min of the weighing."""
    data = mini_recipe_data()
    dispense, blend = (op["steps"] for op in data["procedure"][0]["operations"])
    dispense[0]["max_duration_minutes"] = 60
    blend[1].update({"min_duration_minutes": 15, "max_duration_minutes": 30})
    blend[2]["complete_within"] = {"after": "weigh-api", "minutes": 240}
    return recipe_from_data(data)


def _step(recipe: Recipe, step_id: str) -> Step:
    found = recipe.step(step_id)
    assert found is not None
    return found


def _do(
    state: BatchState,
    recipe: Recipe,
    step_id: str,
    at_min: int,
    verify_min: int | None = None,
    actor: Actor = OPERATOR,
) -> None:
    apply_complete(state, recipe, step_id=step_id, actor=actor, at=T0 + _min(at_min))
    if verify_min is not None:
        apply_verify(state, recipe, step_id=step_id, actor=OPERATOR_2, at=T0 + _min(verify_min))


def _to_mix(state: BatchState, recipe: Recipe) -> None:
    _do(state, recipe, "line-clearance", 10, verify_min=12)
    _do(state, recipe, "weigh-api", 20, verify_min=25)
    _do(state, recipe, "close-lid", 30)


# when a step starts -----------------------------------------------------------------------------


def test_the_first_step_starts_at_the_batch_start() -> None:
    recipe = _timed()
    state = start_batch(recipe)
    assert step_started_at(state, "line-clearance", not_before=T0) == T0


def test_a_step_starts_when_every_earlier_step_is_done_verification_included() -> None:
    recipe = _timed()
    state = start_batch(recipe)
    assert step_started_at(state, "weigh-api", not_before=T0) is None
    _do(state, recipe, "line-clearance", 10)
    progress = state.progress("line-clearance")
    assert progress is not None and done_at(progress) is None, "awaiting verification"
    assert step_started_at(state, "weigh-api", not_before=T0) is None
    apply_verify(state, recipe, step_id="line-clearance", actor=OPERATOR_2, at=T0 + _min(12))
    assert step_started_at(state, "weigh-api", not_before=T0) == T0 + _min(12)
    _do(state, recipe, "weigh-api", 20, verify_min=25)
    _do(state, recipe, "close-lid", 30)
    assert step_started_at(state, "mix", not_before=T0) == T0 + _min(30)
    assert step_started_at(state, "nope", not_before=T0) is None


def test_a_reworked_step_starts_at_the_rework() -> None:
    recipe = _timed()
    state = start_batch(recipe)
    _to_mix(state, recipe)
    _do(state, recipe, "mix", 50)
    rework_at = T0 + _min(120)
    apply_reopen(state, ["weigh-api"])
    assert step_started_at(state, "weigh-api", not_before=rework_at) == rework_at
    assert step_started_at(state, "mix", not_before=rework_at) is None, "weigh-api comes first"


# minimum duration -------------------------------------------------------------------------------


def test_earliest_completion() -> None:
    recipe = _timed()
    assert earliest_completion(_step(recipe, "mix"), T0) == T0 + _min(15)
    assert earliest_completion(_step(recipe, "close-lid"), T0) is None


def test_completing_before_the_minimum_duration_is_refused_with_the_time_left() -> None:
    mix = _step(_timed(), "mix")
    started = T0 + _min(30)
    with pytest.raises(TooEarly) as caught:
        check_min_duration(
            mix, started_at=started, at=started + timedelta(minutes=10, seconds=29.5)
        )
    error = caught.value
    assert (error.code, error.kind) == ("too_early", RefusalKind.CONFLICT)
    assert error.details == {
        "step_id": "mix",
        "min_duration_minutes": 15,
        "started_at": started.isoformat(),
        "earliest_at": (started + _min(15)).isoformat(),
        "seconds_left": 271,
    }
    assert error.message == (
        f"step 'mix' lasts at least 15 minutes: it can be completed in 4 min 31 s, "
        f"at {(started + _min(15)).isoformat()}"
    )


@pytest.mark.parametrize(
    ("after", "spoken"), [(timedelta(minutes=14, seconds=30), "30 s"), (_min(5), "10 min")]
)
def test_the_time_left_is_spoken_plainly(after: timedelta, spoken: str) -> None:
    with pytest.raises(TooEarly) as caught:
        check_min_duration(_step(_timed(), "mix"), started_at=T0, at=T0 + after)
    assert f"completed in {spoken}," in caught.value.message


def test_completion_at_or_after_the_minimum_duration_or_without_one_is_allowed() -> None:
    recipe = _timed()
    check_min_duration(_step(recipe, "mix"), started_at=T0, at=T0 + _min(15))
    check_min_duration(_step(recipe, "mix"), started_at=T0, at=T0 + _min(90))
    check_min_duration(_step(recipe, "close-lid"), started_at=T0, at=T0)
    check_min_duration(_step(recipe, "mix"), started_at=None, at=T0)


# deadlines --------------------------------------------------------------------------------------


def _by_id(found: list[Deadline]) -> dict[str, Deadline]:
    return {d.timer_id: d for d in found}


def test_at_the_start_only_the_first_steps_max_duration_runs() -> None:
    recipe = _timed()
    state = start_batch(recipe)
    (deadline,) = deadlines(recipe, state, not_before=T0)
    assert deadline == Deadline(
        timer_id="max_duration:line-clearance:1",
        kind=TimerKind.MAX_DURATION,
        step_id="line-clearance",
        execution=1,
        due_at=T0 + _min(60),
        minutes=60,
        description=(
            "step 'line-clearance' was not completed within its maximum duration of 60 minutes "
            f"(started {T0.isoformat()}, due {(T0 + _min(60)).isoformat()})"
        ),
    )


def test_the_max_duration_deadline_ends_with_the_completion_not_the_verification() -> None:
    recipe = _timed()
    state = start_batch(recipe)
    _do(state, recipe, "line-clearance", 10)
    assert "max_duration:line-clearance:1" not in _by_id(deadlines(recipe, state, not_before=T0))


def test_mix_max_duration_and_the_hold_time_after_weighing() -> None:
    recipe = _timed()
    state = start_batch(recipe)
    _to_mix(state, recipe)
    found = _by_id(deadlines(recipe, state, not_before=T0))
    assert set(found) == {"max_duration:mix:1", "max_hold:supervisor-check:1"}
    assert found["max_duration:mix:1"].due_at == T0 + _min(30 + 30)
    hold = found["max_hold:supervisor-check:1"]
    assert (hold.kind, hold.after_step, hold.minutes) == (TimerKind.MAX_HOLD, "weigh-api", 240)
    assert hold.due_at == T0 + _min(20 + 240), (
        "from the weighing's completion, not its verification"
    )
    assert hold.description == (
        "step 'supervisor-check' was not completed within 240 minutes of step 'weigh-api' "
        f"(completed {(T0 + _min(20)).isoformat()}, due {(T0 + _min(260)).isoformat()})"
    )
    _do(state, recipe, "mix", 50)
    assert set(_by_id(deadlines(recipe, state, not_before=T0))) == {"max_hold:supervisor-check:1"}
    _do(state, recipe, "supervisor-check", 70, actor=SUPERVISOR)
    assert deadlines(recipe, state, not_before=T0) == []


def test_the_hold_time_runs_before_the_step_itself_starts() -> None:
    recipe = _timed()
    state = start_batch(recipe)
    _do(state, recipe, "line-clearance", 10, verify_min=12)
    _do(state, recipe, "weigh-api", 20)
    assert "max_hold:supervisor-check:1" in _by_id(deadlines(recipe, state, not_before=T0))


def test_rework_gives_new_timers_for_the_new_execution() -> None:
    recipe = _timed()
    state = start_batch(recipe)
    _to_mix(state, recipe)
    _do(state, recipe, "mix", 50)
    rework_at = T0 + _min(100)
    apply_reopen(state, ["mix"])
    found = _by_id(deadlines(recipe, state, not_before=rework_at))
    assert found["max_duration:mix:2"].due_at == rework_at + _min(30)
    assert found["max_duration:mix:2"].execution == 2
    assert "max_hold:supervisor-check:1" in found


# breaches ---------------------------------------------------------------------------------------


def test_a_deadline_breaches_only_when_due_and_its_step_is_still_not_completed() -> None:
    recipe = _timed()
    state = start_batch(recipe)
    _to_mix(state, recipe)
    mix = _by_id(deadlines(recipe, state, not_before=T0))["max_duration:mix:1"]
    assert breach(mix, state, at=mix.due_at - timedelta(seconds=1)) is None
    found = breach(mix, state, at=mix.due_at)
    assert found is not None and (found.deadline, found.at) == (mix, mix.due_at)
    _do(state, recipe, "mix", 70)
    assert breach(mix, state, at=mix.due_at + _min(5)) is None


def test_a_timer_of_an_earlier_execution_does_not_breach() -> None:
    recipe = _timed()
    state = start_batch(recipe)
    _to_mix(state, recipe)
    first = _by_id(deadlines(recipe, state, not_before=T0))["max_duration:mix:1"]
    _do(state, recipe, "mix", 50)
    apply_reopen(state, ["mix"])
    mix = state.progress("mix")
    assert mix is not None and (mix.status, mix.execution) == (StepStatus.PENDING, 2)
    assert breach(first, state, at=first.due_at + _min(60)) is None
