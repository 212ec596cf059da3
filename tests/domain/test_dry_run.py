"""The dry run's pure part: the values it enters, the variants out of limits, what the recipe
alone shows, and the report read from a run."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from ebr.domain.batch import BatchHeader, BatchState, BatchStatus, StepStatus
from ebr.domain.dry_run import Run, StepRefused, VariantOutcome, report
from ebr.domain.dry_run_findings import FindingKind
from ebr.domain.dry_run_values import in_limit_value, in_limit_values, variants
from ebr.domain.recipe import NumberInput, Recipe
from ebr.domain.recipe_loading import parse_recipe, recipe_from_data
from ebr.domain.roles import Role
from ebr.domain.timing import TimerKind
from ebr.domain.values import validate_values
from tests.domain.builders import EXAMPLES, T0, mini_recipe_data, step
from tests.dry_run_recipes import timed, unreachable


def number(**limits: Any) -> NumberInput:
    return NumberInput(type="number", name="n", label="N", unit="kg", **limits)


@pytest.mark.parametrize(
    ("limits", "value"),
    [
        ({"min": "9.95", "max": "10.05"}, "10.00"),
        ({"min": "1", "max": "2"}, "1.5"),
        ({"min": "150"}, "165"),
        ({"min": "0"}, "1"),
        ({"max": "2.0"}, "1.8"),
        ({"max": "-10"}, "-11"),
        ({}, "1"),
    ],
)
def test_a_number_is_entered_inside_its_limits(limits: dict[str, str], value: str) -> None:
    assert in_limit_value(number(**limits)) == value


def test_every_input_of_every_example_step_gets_a_value_in_specification() -> None:
    for path in sorted(EXAMPLES.glob("*.yaml")):
        recipe = parse_recipe(path.read_text(encoding="utf-8"))
        for recipe_step in recipe.steps():
            recorded = validate_values(recipe_step, in_limit_values(recipe_step))
            assert {v.name for v in recorded} == {i.name for i in recipe_step.inputs}
            assert all(v.in_spec is not False for v in recorded), (path.name, recipe_step.id)


def test_checks_take_the_expected_answer_choices_the_first_text_fits() -> None:
    data = mini_recipe_data()
    data["procedure"][0]["operations"][0]["steps"] = [
        step(
            "inputs",
            "check",
            [
                {"name": "yes", "label": "Yes", "type": "check"},
                {"name": "no", "label": "No", "type": "check", "expected": False},
                {"name": "any", "label": "Any", "type": "check", "expected": None},
                {"name": "pick", "label": "Pick", "type": "choice", "options": ["b", "a"]},
                {"name": "lot", "label": "Lot", "type": "text", "max_length": 3},
            ],
        )
    ]
    data["procedure"][0]["operations"] = data["procedure"][0]["operations"][:1]
    data["procedure"] = data["procedure"][:1]
    recipe = recipe_from_data(data)
    [only] = recipe.steps()
    assert in_limit_values(only) == {
        "yes": True,
        "no": False,
        "any": True,
        "pick": "b",
        "lot": "dry",
    }


def test_each_critical_number_with_a_limit_has_a_variant_just_out_of_it() -> None:
    found = {(v.step_id, v.input): v for v in variants(timed())}
    assert set(found) == {("granulate", "temperature"), ("dry", "lod")}
    temperature = found[("granulate", "temperature")]
    assert (temperature.value, temperature.limits) == ("25.1", "20.0 to 25.0 °C")
    assert found[("dry", "lod")].value == "2.1"
    recipe = timed()
    granulate = recipe.step("granulate")
    assert granulate is not None
    recorded = {v.name: v for v in validate_values(granulate, temperature.values(granulate))}
    assert (recorded["temperature"].in_spec, recorded["temperature"].critical) == (False, True)
    assert recorded["impeller"].in_spec is True  # the others stay in their limits


def test_a_critical_number_with_only_a_minimum_goes_below_it_and_one_without_limits_has_none() -> (
    None
):
    data = mini_recipe_data()
    data["procedure"] = data["procedure"][:1]
    data["procedure"][0]["operations"] = data["procedure"][0]["operations"][:1]
    data["procedure"][0]["operations"][0]["steps"] = [
        step(
            "measure",
            "record",
            [
                {
                    "name": "low",
                    "label": "Low",
                    "type": "number",
                    "unit": "bar",
                    "min": "1.50",
                    "critical": True,
                },
                {
                    "name": "free",
                    "label": "Free",
                    "type": "number",
                    "unit": "bar",
                    "critical": True,
                },
                {"name": "plain", "label": "Plain", "type": "number", "unit": "bar", "max": "3"},
            ],
        )
    ]
    [variant] = variants(recipe_from_data(data))
    assert (variant.input, variant.value, variant.limits) == ("low", "1.49", "at least 1.50 bar")


def finding_kinds(recipe: Recipe, roles: frozenset[Role] | None = None) -> set[tuple[str, str]]:
    run = finished_run(recipe)
    result = report(recipe, run, []) if roles is None else report(recipe, run, [], roles=roles)
    return {(f.step_id, f.kind.value) for f in result.findings}


def test_a_hold_time_shorter_than_the_minimum_durations_before_it_is_unreachable() -> None:
    result = report(unreachable(), finished_run(unreachable()), [])
    [finding] = result.findings
    assert (finding.step_id, finding.kind) == ("dry", FindingKind.UNREACHABLE)
    assert "60 minutes of 'granulate'" in finding.message
    assert "'cool' 40 min, 'dry' 30 min" in finding.message
    assert "70 minutes" in finding.message
    assert result.problems == 1  # the breach it causes is the same problem, said once


@pytest.mark.parametrize(("hold", "unreachable_at"), [(70, True), (71, False)])
def test_completing_exactly_at_a_deadline_is_late(hold: int, unreachable_at: bool) -> None:
    data = unreachable().model_dump(mode="json")
    data["procedure"][0]["operations"][0]["steps"][2]["complete_within"]["minutes"] = hold
    recipe = recipe_from_data(data)
    assert (("dry", "unreachable") in finding_kinds(recipe)) is unreachable_at


def test_a_minimum_duration_equal_to_the_maximum_is_unreachable() -> None:
    data = timed().model_dump(mode="json")
    data["procedure"][0]["operations"][0]["steps"][0]["max_duration_minutes"] = 30
    assert finding_kinds(recipe_from_data(data)) == {("mix", "unreachable")}
    assert finding_kinds(timed()) == set()


def test_a_step_no_role_of_the_plant_performs_is_a_problem() -> None:
    assert finding_kinds(timed(), frozenset({Role.OPERATOR, Role.SUPERVISOR})) == {
        ("qa-check", "no_performer")
    }
    assert finding_kinds(timed(), frozenset({Role.QA})) == {
        ("mix", "no_performer"),
        ("granulate", "no_performer"),
        ("dry", "no_performer"),
    }


def finished_run(recipe: Recipe, *, late: timedelta = timedelta(0)) -> Run:
    """Every step completed as early as its minimum duration allows, verified at once; the
    step with a hold time ``late`` beyond that."""
    batch = BatchState.start(header(recipe), recipe)
    at = T0
    for progress in batch.steps:
        recipe_step = recipe.step(progress.step_id)
        assert recipe_step is not None
        at += timedelta(minutes=recipe_step.min_duration_minutes or 0)
        if recipe_step.complete_within is not None:
            at += late
        progress.status = StepStatus.DONE
        progress.performed_at, progress.performed_by = at, "olga"
        if recipe_step.verify:
            progress.verified_at, progress.verified_by = at, "sam"
    batch.status, batch.completed_at = BatchStatus.AWAITING_REVIEW, at
    return Run(started_at=T0, ended_at=at, batch=batch)


def header(recipe: Recipe) -> BatchHeader:
    return BatchHeader(
        batch_id="B-1",
        batch_number="B-1",
        recipe_code=recipe.code,
        recipe_version=recipe.version,
        recipe_hash=recipe.content_hash(),
        product_code=recipe.product.code,
        planned_quantity=recipe.batch_size,
        created_by="sam",
        created_at=T0,
    )


def test_the_report_shows_the_plant_time_the_waits_and_when_each_timer_falls_due() -> None:
    recipe = timed()
    result = report(recipe, finished_run(recipe), [])
    assert (result.recipe_code, result.recipe_version) == ("DRY-TIMED", 1)
    assert result.recipe_hash == recipe.content_hash()
    assert result.completed and result.elapsed_minutes == 75
    assert [(w.step_id, w.waited_minutes) for w in result.waits] == [("mix", 30), ("dry", 45)]
    by_id = {t.timer_id: t for t in result.timers}
    mix = by_id["max_duration:mix:1"]
    assert (mix.kind, mix.due_minute, mix.completed_minute, mix.breached) == (
        TimerKind.MAX_DURATION,
        120,
        30,
        False,
    )
    dry = by_id["max_hold:dry:1"]
    assert (dry.after_step, dry.due_minute, dry.completed_minute, dry.breached) == (
        "granulate",
        270,
        75,
        False,
    )
    plans = {p.step_id: p for p in result.steps}
    assert [p.step_id for p in result.steps] == ["mix", "granulate", "dry", "qa-check"]
    assert (plans["dry"].unit_procedure, plans["dry"].operation) == ("granulation", "drying")
    assert plans["granulate"].verified_by == (Role.OPERATOR, Role.SUPERVISOR, Role.QA)
    assert plans["qa-check"].verified_by == (Role.QA,)
    assert plans["mix"].verified_by == ()
    assert (plans["dry"].started_minute, plans["dry"].done_minute) == (30, 75)
    assert result.problems == 0
    assert result.model_dump(mode="json")["problems"] == 0


def test_a_timer_breached_in_the_in_limit_run_is_a_problem_even_when_reachable() -> None:
    recipe = timed()
    result = report(recipe, finished_run(recipe, late=timedelta(hours=4)), [])
    [finding] = result.findings
    assert (finding.step_id, finding.kind) == ("dry", FindingKind.BREACHED)
    assert [t.timer_id for t in result.timers if t.breached] == ["max_hold:dry:1"]


def test_a_refused_step_and_what_the_variants_did_are_reported() -> None:
    recipe = timed()
    run = finished_run(recipe)
    refused = StepRefused(
        step_id="dry", meaning="performed", code="too_early", message="lasts 45 minutes"
    )
    stopped = run.model_copy(update={"refused": refused})
    temperature, lod = variants(recipe)
    held = VariantOutcome(
        variant=temperature,
        deviation_id="B-1-DEV-001",
        critical=True,
        holds=True,
        batch_status=BatchStatus.ON_HOLD,
    )
    result = report(recipe, stopped, [held, VariantOutcome(variant=lod, refused=refused)])
    [finding] = result.findings  # the variant stopped where the in-limit run did: said once
    assert (finding.step_id, finding.kind) == ("dry", FindingKind.REFUSED)
    assert "lasts 45 minutes (too_early)" in finding.message
    assert not result.completed
    not_held = report(recipe, run, [held.model_copy(update={"holds": False})])
    assert [(f.step_id, f.kind) for f in not_held.findings] == [("granulate", FindingKind.NOT_HELD)]


def test_limits_keep_their_written_precision() -> None:
    assert in_limit_value(number(min=Decimal("1.000"), max=Decimal("1.100"))) == "1.050"
