"""The limits of a recipe's content: every bad recipe is refused in its own words, quickly, whether
it comes as text or as data, and the limits never change the hash of a recipe within them."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from ebr.domain.recipe_limits import (
    MAX_DESCRIPTION,
    MAX_INPUTS,
    MAX_INSTRUCTIONS,
    MAX_MINUTES,
    MAX_OPERATIONS,
    MAX_OPTIONS,
    MAX_PROBLEMS,
    MAX_RECIPE_JSON_BYTES,
    MAX_STEPS,
    MAX_UNIT_PROCEDURES,
    MAX_VERSION,
)
from ebr.domain.recipe_loading import parse_recipe, recipe_from_data
from tests.domain.builders import as_yaml, example, mini_recipe_data, step
from tests.domain.test_recipe import EXAMPLE_HASHES
from tests.domain.test_recipe_yaml import refused_quickly

WEIGH = "unit procedure 'making' › operation 'dispense' › step 'weigh-api'"
MASS = f"{WEIGH} › input 'mass'"
MIX = "unit procedure 'making' › operation 'blend' › step 'mix'"


def _weigh(data: dict[str, Any]) -> dict[str, Any]:
    weigh: dict[str, Any] = data["procedure"][0]["operations"][0]["steps"][1]
    return weigh


def _mix(data: dict[str, Any]) -> dict[str, Any]:
    mix: dict[str, Any] = data["procedure"][0]["operations"][1]["steps"][1]
    return mix


def _problems(data: dict[str, Any], *, as_text: bool = True) -> list[dict[str, Any]]:
    """The problems of ``data``, refused in under a second as YAML text and as data alike."""
    error, _ = refused_quickly(lambda: recipe_from_data(copy.deepcopy(data)))
    if as_text:
        from_text, _ = refused_quickly(lambda: parse_recipe(as_yaml(data)))
        assert from_text.details == error.details
    details: list[dict[str, Any]] = error.details
    return details


def _only(data: dict[str, Any], *, as_text: bool = True) -> dict[str, Any]:
    details = _problems(data, as_text=as_text)
    assert len(details) == 1, details
    return details[0]


def _compact_steps(count: int) -> str:
    """Recipe text of ``count`` instruction steps in one operation, under 1 MB up to 10,000."""
    steps = "".join(
        f"          - {{id: s{n}, name: S, instructions: I, kind: instruction}}\n"
        for n in range(count)
    )
    return (
        "code: BIG\nversion: 1\nname: Big\nproduct: {code: BIG, name: Big}\n"
        'batch_size: {value: "1", unit: kg}\nprocedure:\n'
        "  - id: u\n    name: U\n    operations:\n      - id: o\n        name: O\n        steps:\n"
        + steps
    )


# steps and the recipe's size --------------------------------------------------------------------


def test_a_recipe_of_10000_steps_as_text_is_refused_at_step_1001() -> None:
    text = _compact_steps(10_000)
    assert len(text) < 1_000_000
    error, _ = refused_quickly(lambda: parse_recipe(text))
    assert error.details == [
        {
            "where": f"line {12 + MAX_STEPS + 1}, column 13",
            "field": None,
            "message": f"the recipe has more than {MAX_STEPS:,} steps (this is step "
            f"{MAX_STEPS + 1:,}); the limit is {MAX_STEPS:,}, so that a batch can carry every "
            "step's progress under Temporal's 2 MB payload limit",
        }
    ]


def _spread(steps: int, per_operation: int) -> dict[str, Any]:
    data = mini_recipe_data()
    data["procedure"][0]["operations"] = [
        {
            "id": f"op-{k}",
            "name": f"Operation {k}",
            "steps": [
                {"id": f"s{k}-{n}", "name": "S", "instructions": "I", "kind": "instruction"}
                for n in range(per_operation)
            ],
        }
        for k in range(steps // per_operation)
    ]
    return data


def test_10000_steps_spread_over_operations_as_json_are_refused_at_step_1001() -> None:
    text = json.dumps(_spread(10_000, 100), separators=(",", ":"))
    assert len(text) < 1_000_000
    error, _ = refused_quickly(lambda: parse_recipe(text))
    assert len(error.details) == 1
    assert error.details[0]["message"].startswith(f"the recipe has more than {MAX_STEPS:,} steps")


def test_10000_steps_as_data_are_refused_for_the_recipe_or_the_operation() -> None:
    assert _only(_spread(10_000, 100), as_text=False) == {
        "where": "recipe",
        "field": None,
        "message": f"the recipe has 10,000 steps; the limit is {MAX_STEPS:,}, so that a batch "
        "can carry every step's progress under Temporal's 2 MB payload limit",
    }
    assert _only(_spread(10_000, 10_000), as_text=False) == {
        "where": "unit procedure 'making' › operation 'op-0'",
        "field": "steps",
        "message": f"Tuple should have at most {MAX_STEPS} items after validation, not 10000",
    }


def test_a_recipe_of_the_most_steps_loads() -> None:
    recipe = parse_recipe(_compact_steps(MAX_STEPS))
    assert len(list(recipe.steps())) == MAX_STEPS


def test_a_recipe_too_large_as_json_is_refused_though_each_field_is_within_its_limit() -> None:
    data = mini_recipe_data()
    data["procedure"][0]["operations"][1]["steps"] = [
        step(f"s{n}", "instruction", instructions="x" * MAX_INSTRUCTIONS) for n in range(300)
    ]
    problem = _only(data, as_text=False)
    assert problem["where"] == "recipe"
    assert problem["message"].startswith("the recipe is 1,2")
    limit = f"bytes as JSON; the limit is {MAX_RECIPE_JSON_BYTES:,}, so that a batch"
    assert limit in problem["message"]


def test_too_many_operations_and_unit_procedures() -> None:
    data = mini_recipe_data()
    blend = data["procedure"][0]["operations"][1]
    data["procedure"] = [
        {"id": f"u{k}", "name": "U", "operations": [dict(blend, id=f"o{k}")]}
        for k in range(MAX_UNIT_PROCEDURES + 1)
    ]
    problem = _only(data, as_text=False)
    assert (problem["where"], problem["field"]) == ("recipe", "procedure")
    assert f"at most {MAX_UNIT_PROCEDURES} items" in problem["message"]

    data = mini_recipe_data()
    data["procedure"][0]["operations"] = [
        {"id": f"o{k}", "name": "O", "steps": [step(f"s{k}", "instruction")]}
        for k in range(MAX_OPERATIONS + 1)
    ]
    problem = _only(data, as_text=False)
    assert (problem["where"], problem["field"]) == ("unit procedure 'making'", "operations")
    assert f"at most {MAX_OPERATIONS} items" in problem["message"]


# fields of steps and inputs ---------------------------------------------------------------------


def test_an_instruction_of_100000_characters() -> None:
    data = mini_recipe_data()
    _mix(data)["instructions"] = "x" * 100_000
    assert _only(data) == {
        "where": MIX,
        "field": "instructions",
        "message": f"String should have at most {MAX_INSTRUCTIONS} characters",
    }


def test_a_description_too_long() -> None:
    data = mini_recipe_data()
    data["description"] = "x" * (MAX_DESCRIPTION + 1)
    assert _only(data) == {
        "where": "recipe",
        "field": "description",
        "message": f"String should have at most {MAX_DESCRIPTION} characters",
    }


@pytest.mark.parametrize(
    ("place", "field"),
    [("name", "name"), ("product", "product.name")],
)
def test_names_too_long(place: str, field: str) -> None:
    data = mini_recipe_data()
    if place == "product":
        data["product"]["name"] = "x" * 201
    else:
        data["name"] = "x" * 201
    assert _only(data) == {
        "where": "recipe",
        "field": field,
        "message": "String should have at most 200 characters",
    }


def test_too_many_inputs() -> None:
    data = mini_recipe_data()
    _mix(data)["inputs"] = [
        {"name": f"t{n}", "label": f"T{n}", "type": "text"} for n in range(MAX_INPUTS + 1)
    ]
    problem = _only(data)
    assert (problem["where"], problem["field"]) == (MIX, "inputs")
    assert f"at most {MAX_INPUTS} items" in problem["message"]


def test_too_many_options_and_an_option_too_long() -> None:
    data = mini_recipe_data()
    _mix(data)["inputs"][0]["options"] = [f"o{n}" for n in range(MAX_OPTIONS + 1)]
    problem = _only(data)
    assert (problem["where"], problem["field"]) == (f"{MIX} › input 'speed'", "options")
    assert f"at most {MAX_OPTIONS} items" in problem["message"]

    data = mini_recipe_data()
    _mix(data)["inputs"][0]["options"] = ["low", "x" * 201]
    assert _only(data) == {
        "where": f"{MIX} › input 'speed'",
        "field": "options.1",
        "message": "String should have at most 200 characters",
    }


def test_an_unknown_unit() -> None:
    data = mini_recipe_data()
    _weigh(data)["inputs"][1]["unit"] = "furlong"
    assert _only(data) == {"where": MASS, "field": "unit", "message": "unknown unit 'furlong'"}


def test_a_unit_too_long_is_not_echoed() -> None:
    data = mini_recipe_data()
    _weigh(data)["inputs"][1]["unit"] = "k" * 100_000
    assert _only(data) == {
        "where": MASS,
        "field": "unit",
        "message": "String should have at most 16 characters",
    }


def test_a_role_that_does_not_exist() -> None:
    data = mini_recipe_data()
    _mix(data)["role"] = "foreman"
    problem = _only(data)
    assert (problem["where"], problem["field"]) == (MIX, "role")
    assert "Input should be 'operator', 'supervisor'" in problem["message"]


def test_repeated_step_ids() -> None:
    data = mini_recipe_data()
    _mix(data)["id"] = "weigh-api"
    assert _only(data) == {
        "where": "recipe",
        "field": None,
        "message": "step id 'weigh-api' is used more than once",
    }


# numbers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [9223372036854775807, MAX_VERSION + 1, 0, -1])
def test_version_out_of_range(version: int) -> None:
    data = mini_recipe_data()
    data["version"] = version
    problem = _only(data)
    assert (problem["where"], problem["field"]) == ("recipe", "version")
    assert "than or equal to" in problem["message"]


def test_the_highest_version_loads() -> None:
    data = mini_recipe_data()
    data["version"] = MAX_VERSION
    assert recipe_from_data(data).version == MAX_VERSION


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("1e400", "must be less than 10^16 in magnitude"),
        ("'1e400'", "must be less than 10^16 in magnitude"),
        ("1.0e+400", "Input should be a finite number"),
        ("1.0e+308", "must be less than 10^16 in magnitude"),
        ("'1E+16'", "must be less than 10^16 in magnitude"),
        (".nan", "Input should be a finite number"),
        ("-.inf", "Input should be a finite number"),
        ("'NaN'", "Input should be a finite number"),
        ("'1e-16'", "must be 0 or at least 10^-15 in magnitude"),
        ("'1.00000000000000000000000000001'", "must have at most 28 significant digits"),
        ("'" + "9" * 100_000 + "'", "must be less than 10^16 in magnitude"),
    ],
)
def test_a_limit_out_of_the_decimal_range(written: str, message: str) -> None:
    text = as_yaml(mini_recipe_data()).replace("min: '9.95'", f"min: {written}")
    error, _ = refused_quickly(lambda: parse_recipe(text))
    assert error.details == [{"where": MASS, "field": "min", "message": message}]


@pytest.mark.parametrize("written", ["'9999999999999999'", "'-1E+15'", "'0'", "'1e-15'", "'0.000'"])
def test_limits_at_the_edges_of_the_range_load(written: str) -> None:
    text = as_yaml(mini_recipe_data()).replace("min: '9.95'", f"min: {written}")
    text = text.replace("max: '10.05'", "max: '9999999999999999'")
    assert parse_recipe(text).step("weigh-api") is not None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "Input should be greater than 0"),
        ("-10", "Input should be greater than 0"),
        ("1e20", "must be less than 10^16 in magnitude"),
        ("Infinity", "Input should be a finite number"),
    ],
)
def test_the_batch_size_is_positive_and_bounded(value: str, message: str) -> None:
    data = mini_recipe_data()
    data["batch_size"]["value"] = value
    assert _only(data) == {"where": "recipe", "field": "batch_size.value", "message": message}


# time limits ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"min_duration_minutes": -60}, "min_duration_minutes", "greater than or equal to 1"),
        ({"max_duration_minutes": -60}, "max_duration_minutes", "greater than or equal to 1"),
        (
            {"complete_within": {"after": "weigh-api", "minutes": -60}},
            "complete_within.minutes",
            "greater than or equal to 1",
        ),
        (
            {"max_duration_minutes": MAX_MINUTES + 1},
            "max_duration_minutes",
            f"less than or equal to {MAX_MINUTES}",
        ),
        (
            {"complete_within": {"after": "weigh-api", "minutes": 10**18}},
            "complete_within.minutes",
            f"less than or equal to {MAX_MINUTES}",
        ),
    ],
)
def test_a_timer_out_of_range(fields: dict[str, Any], field: str, message: str) -> None:
    data = mini_recipe_data()
    _mix(data).update(fields)
    problem = _only(data)
    assert (problem["where"], problem["field"]) == (MIX, field)
    assert message in problem["message"]


def test_thirty_days_is_the_longest_time_limit() -> None:
    data = mini_recipe_data()
    _mix(data).update({"max_duration_minutes": MAX_MINUTES})
    _mix(data)["complete_within"] = {"after": "weigh-api", "minutes": MAX_MINUTES}
    assert recipe_from_data(data).step("mix") is not None
    assert MAX_MINUTES == 43_200


# refusals stay bounded ---------------------------------------------------------------------------


def test_a_refusal_lists_at_most_max_problems_and_counts_the_rest() -> None:
    data = mini_recipe_data()
    data["procedure"][0]["operations"][1]["steps"] = [
        step(f"s{n}", "record", [{"name": "m", "label": "M", "type": "number", "unit": "kgs"}])
        for n in range(MAX_STEPS)
    ]
    error, _ = refused_quickly(lambda: recipe_from_data(data))
    assert len(error.details) == MAX_PROBLEMS + 1
    assert error.details[-1] == {
        "where": "recipe",
        "field": None,
        "message": f"{MAX_STEPS - MAX_PROBLEMS} more problems not listed "
        f"(at most {MAX_PROBLEMS} are)",
    }
    assert error.message.endswith(f"(and {MAX_STEPS - 3} more)")


# the limits change nothing of a recipe within them -----------------------------------------------


@pytest.mark.parametrize(("filename", "expected"), sorted(EXAMPLE_HASHES.items()))
def test_the_examples_load_with_their_hashes_unchanged(filename: str, expected: str) -> None:
    recipe = example(filename)
    assert recipe.content_hash() == expected
    assert recipe_from_data(recipe.model_dump(mode="json")).content_hash() == expected
