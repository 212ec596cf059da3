"""The recipe dry run executed for real: batch workflows on a time-skipping server, signed
records, deviations and holds, in seconds of wall time for hours of plant time."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment

from ebr.domain.batch import BatchStatus
from ebr.domain.dry_run import DryRun
from ebr.domain.dry_run_findings import FindingKind
from ebr.domain.recipe_loading import parse_recipe
from ebr.domain.refusals import RecipeInvalid
from ebr.domain.roles import Role
from ebr.dry_run import dry_run, dry_run_on
from ebr.time_skipping import start_time_skipping
from tests.domain.builders import EXAMPLES
from tests.dry_run_recipes import TIMED, timed, unreachable


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """One time-skipping server for the module: each dry run on it has its own store and
    worker, and ends every workflow it started."""
    server = await start_time_skipping(quiet=True)
    yield server
    await server.shutdown()


@pytest.fixture(scope="module")
async def timed_run(env: WorkflowEnvironment) -> DryRun:
    return await dry_run_on(env, timed())


async def test_the_in_limit_run_waits_out_each_minimum_duration_on_the_workflow_clock(
    timed_run: DryRun,
) -> None:
    assert timed_run.completed
    assert timed_run.problems == 0, timed_run.findings
    assert 75 <= timed_run.elapsed_minutes < 76  # 30 min mixing, 45 min drying
    waits = {w.step_id: w for w in timed_run.waits}
    assert set(waits) == {"mix", "dry"}
    assert 30 <= waits["mix"].waited_minutes < 31
    assert 45 <= waits["dry"].waited_minutes < 46
    steps = {s.step_id: s for s in timed_run.steps}
    assert steps["mix"].completed_minute is not None and steps["mix"].completed_minute >= 30
    assert steps["qa-check"].done_minute == timed_run.elapsed_minutes


async def test_a_critical_input_the_recipe_does_not_ask_to_verify_is_verified_in_the_run(
    timed_run: DryRun,
) -> None:
    dry = next(s for s in timed_run.steps if s.step_id == "dry")  # verify: false, lod critical
    assert (dry.verify, dry.verify_reason) == (True, "critical input: Loss on drying")
    assert dry.verified_by == (Role.OPERATOR, Role.SUPERVISOR, Role.QA)
    assert dry.completed_minute is not None and dry.done_minute is not None
    assert dry.done_minute >= dry.completed_minute, "done once a second person verified it"
    mix = next(s for s in timed_run.steps if s.step_id == "mix")
    assert (mix.verify, mix.verify_reason, mix.verified_by) == (False, None, ())


async def test_the_timers_fall_due_where_the_plant_time_puts_them(timed_run: DryRun) -> None:
    timers = {t.timer_id: t for t in timed_run.timers}
    assert set(timers) == {"max_duration:mix:1", "max_hold:dry:1"}
    mix, dry = timers["max_duration:mix:1"], timers["max_hold:dry:1"]
    assert (mix.due_minute, mix.breached) == (120, False)
    granulated = next(s for s in timed_run.steps if s.step_id == "granulate").completed_minute
    assert granulated is not None
    assert dry.due_minute == pytest.approx(granulated + 240)
    assert not dry.breached


async def test_each_critical_value_out_of_its_limits_opens_a_deviation_that_holds_the_batch(
    timed_run: DryRun,
) -> None:
    outcomes = {(o.variant.step_id, o.variant.input): o for o in timed_run.variants}
    assert set(outcomes) == {("granulate", "temperature"), ("dry", "lod")}
    for outcome in outcomes.values():
        assert outcome.refused is None
        assert outcome.deviation_id is not None and outcome.deviation_id.endswith("-DEV-001")
        assert outcome.critical and outcome.holds
        assert outcome.batch_status is BatchStatus.ON_HOLD
    temperature = outcomes[("granulate", "temperature")]
    assert temperature.variant.value == "25.1"
    assert temperature.deviation is not None
    assert "temperature = 25.1 °C" in temperature.deviation


async def test_a_step_its_minimum_durations_make_late_is_a_problem_at_that_step(
    env: WorkflowEnvironment,
) -> None:
    result = await dry_run_on(env, unreachable())
    assert result.completed  # late, and recorded as it happened
    assert [(f.step_id, f.kind) for f in result.findings] == [("dry", FindingKind.UNREACHABLE)]
    assert result.problems == 1
    [hold_time] = result.timers
    assert (hold_time.timer_id, hold_time.due_minute, hold_time.breached) == (
        "max_hold:dry:1",
        60,
        True,
    )
    assert hold_time.completed_minute is not None and hold_time.completed_minute >= 70


def test_a_limit_no_value_could_be_recorded_for_is_refused_before_any_run() -> None:
    """A limit of 10^16 would leave the dry run a value nobody can record; the recipe limits
    (``recipe_limits``) refuse such a recipe before it is stored or run."""
    source = TIMED.replace('min: "150"', 'min: "1E+16"')
    with pytest.raises(RecipeInvalid, match="must be less than 10\\^16 in magnitude"):
        parse_recipe(source)


async def test_a_dry_run_starts_its_own_server_and_takes_seconds() -> None:
    recipe = parse_recipe((EXAMPLES / "demo-short.yaml").read_text(encoding="utf-8"))
    started = time.monotonic()
    result = await dry_run(recipe)
    assert time.monotonic() - started < 20
    assert (result.recipe_code, result.completed, result.problems) == ("DEMO-SHORT", True, 0)
    assert [(o.variant.input, o.holds) for o in result.variants] == [
        ("powder-mass", True),
        ("lod", True),
    ]


@pytest.mark.e2e
@pytest.mark.parametrize("name", ["gran-pcm500.yaml", "juice-oj1000.yaml"])
async def test_the_example_recipes_have_no_problems(env: WorkflowEnvironment, name: str) -> None:
    recipe = parse_recipe((EXAMPLES / name).read_text(encoding="utf-8"))
    result = await dry_run_on(env, recipe)
    assert result.completed and result.problems == 0, result.findings
    assert result.variants and all(o.holds for o in result.variants)
