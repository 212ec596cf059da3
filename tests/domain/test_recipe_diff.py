"""Diffs between recipe versions: steps added, removed, moved, and fields changed side by side.

The mini recipe: making / dispense = [line-clearance, weigh-api]; making / blend = [close-lid,
mix, supervisor-check, qa-release]."""

from __future__ import annotations

import copy
from typing import Any

from ebr.domain.recipe import Recipe
from ebr.domain.recipe_diff import StepChange, diff_recipes
from ebr.domain.recipe_loading import recipe_from_data
from tests.domain.builders import mini_recipe_data, step


def version(data: dict[str, Any], number: int) -> Recipe:
    return recipe_from_data({**data, "version": number})


def operation(data: dict[str, Any], op_id: str) -> list[dict[str, Any]]:
    for unit in data["procedure"]:
        for op in unit["operations"]:
            if op["id"] == op_id:
                steps: list[dict[str, Any]] = op["steps"]
                return steps
    raise KeyError(op_id)


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, StepChange]:
    diff = diff_recipes(version(before, 1), version(after, 2))
    return {s.step_id: s.change for s in diff.steps}


def test_the_same_recipe_has_no_difference() -> None:
    data = mini_recipe_data()
    diff = diff_recipes(version(data, 1), version(data, 2))
    assert diff.same and (diff.code, diff.before_version, diff.after_version) == ("MINI-1", 1, 2)
    assert len(diff.steps) == 6


def test_an_added_and_a_removed_step() -> None:
    before = mini_recipe_data()
    after = copy.deepcopy(before)
    blend = operation(after, "blend")
    blend.remove(next(s for s in blend if s["id"] == "close-lid"))
    blend.insert(2, step("sieve", "instruction"))
    diff = diff_recipes(version(before, 1), version(after, 2))
    by_id = {s.step_id: s for s in diff.steps}
    assert (by_id["sieve"].change, by_id["sieve"].before_position) == (StepChange.ADDED, None)
    assert by_id["sieve"].after_position == 5 and by_id["sieve"].after_place == "making / blend"
    removed = by_id["close-lid"]
    assert (removed.change, removed.before_position, removed.after_position) == (
        StepChange.REMOVED,
        3,
        None,
    )
    assert diff.steps[-1].step_id == "close-lid", "a removed step comes after the new order"
    assert {k for k, v in changes(before, after).items() if v is StepChange.UNCHANGED} == {
        "line-clearance",
        "weigh-api",
        "mix",
        "supervisor-check",
        "qa-release",
    }


def test_two_steps_swapped_one_moved_the_others_kept_their_order() -> None:
    before = mini_recipe_data()
    after = copy.deepcopy(before)
    blend = operation(after, "blend")
    blend[0], blend[1] = blend[1], blend[0]  # mix before close-lid
    found = changes(before, after)
    moved = {k for k, v in found.items() if v is StepChange.MOVED}
    assert len(moved) == 1 and moved <= {"close-lid", "mix"}
    assert found["qa-release"] is StepChange.UNCHANGED


def test_a_step_moved_to_another_operation_is_moved() -> None:
    before = mini_recipe_data()
    after = copy.deepcopy(before)
    lid = operation(after, "blend").pop(0)
    operation(after, "dispense").append(lid)  # same position in execution order, other operation
    diff = diff_recipes(version(before, 1), version(after, 2))
    moved = next(s for s in diff.steps if s.step_id == "close-lid")
    assert moved.change is StepChange.MOVED
    assert (moved.before_place, moved.after_place) == ("making / blend", "making / dispense")
    assert moved.before_position == moved.after_position == 3


def test_changed_limits_roles_verification_timers_and_instructions_name_both_values() -> None:
    before = mini_recipe_data()
    after = copy.deepcopy(before)
    mix = next(s for s in operation(after, "blend") if s["id"] == "mix")
    mix["inputs"][1]["max"] = "12"
    mix["inputs"][1]["unit"] = "s"
    mix["role"] = "supervisor"
    mix["verify"] = True
    mix["max_duration_minutes"] = 30
    mix["instructions"] = "Mix at the speed chosen."
    diff = diff_recipes(version(before, 1), version(after, 2))
    (changed,) = [s for s in diff.steps if s.change is not StepChange.UNCHANGED]
    assert (changed.step_id, changed.change) == ("mix", StepChange.CHANGED)
    fields = {f.field: f for f in changed.fields}
    assert set(fields) == {"inputs", "role", "verify", "max_duration_minutes", "instructions"}
    assert (fields["role"].before, fields["role"].after) == (None, "supervisor")
    assert (fields["verify"].before, fields["verify"].after) == (None, True)
    assert (fields["max_duration_minutes"].before, fields["max_duration_minutes"].after) == (
        None,
        30,
    )
    time_before, time_after = fields["inputs"].before[1], fields["inputs"].after[1]
    assert (time_before["max"], time_after["max"]) == ("11", "12")
    assert (time_before["unit"], time_after["unit"]) == ("min", "s")
    assert diff.count(StepChange.CHANGED) == 1


def test_header_changes_are_listed_with_both_values() -> None:
    before = mini_recipe_data()
    after = copy.deepcopy(before)
    after["name"] = "Mini blend, larger"
    after["batch_size"] = {"value": "20", "unit": "kg"}
    diff = diff_recipes(version(before, 1), version(after, 2))
    assert [(f.field, f.before, f.after) for f in diff.header] == [
        ("name", "Mini blend", "Mini blend, larger"),
        ("batch_size", {"value": "10", "unit": "kg"}, {"value": "20", "unit": "kg"}),
    ]
    assert not diff.same
