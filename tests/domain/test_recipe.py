"""The recipe model: identity by content hash, canonical bytes, immutability and lookups."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from ebr.domain.recipe import CompleteWithin, NumberInput, StepKind
from ebr.domain.recipe_loading import parse_recipe, recipe_from_data
from ebr.domain.refusals import RecipeInvalid
from tests.domain.builders import as_yaml, example, mini_recipe, mini_recipe_data

GOLDEN_YAML = """\
code: GOLD-1
version: 3
name: Golden recipe
product: {code: GOLD, name: Golden product}
batch_size: {value: "12.50", unit: kg}
procedure:
  - id: up
    name: Unit procedure
    operations:
      - id: op
        name: Operation
        steps:
          - id: dry
            name: Dry at 60 \u00b0C
            instructions: Dry the granules; record the loss on drying (\u00b5-balance).
            kind: record
            verify: true
            inputs:
              - {name: lod, label: Loss on drying, type: number, unit: "%",
                 min: "1.0", max: "2.5", critical: true}
              - {name: dryer, label: Dryer, type: choice, options: [FBD-1, FBD-2]}
"""

# RFC 8785: keys sorted by UTF-16 code units, no whitespace, non-ASCII kept as UTF-8, decimals as
# the strings written in the recipe; fields at their defaults (role, required, description) left
# out, so an optional field added by a later ebr does not change the hash of an existing recipe.
GOLDEN_CANONICAL = (
    '{"batch_size":{"unit":"kg","value":"12.50"},"code":"GOLD-1","name":"Golden recipe",'
    '"procedure":[{"id":"up","name":"Unit procedure","operations":[{"id":"op","name":"Operation",'
    '"steps":[{"id":"dry","inputs":[{"critical":true,"label":"Loss on drying","max":"2.5",'
    '"min":"1.0","name":"lod","type":"number","unit":"%"},{"label":"Dryer","name":"dryer",'
    '"options":["FBD-1","FBD-2"],"type":"choice"}],"instructions":"Dry the granules; record the '
    'loss on drying (\u00b5-balance).","kind":"record","name":"Dry at 60 \u00b0C","verify":true}]}]}],'
    '"product":{"code":"GOLD","name":"Golden product"},"version":3}'
)
GOLDEN_HASH = "b0b0d83218f961a9ee483a746b8a32985d1e38a5d4e51a4bcfd60ea14151b5b3"


def test_golden_canonical_bytes_and_hash() -> None:
    recipe = parse_recipe(GOLDEN_YAML)
    assert recipe.canonical_json() == GOLDEN_CANONICAL.encode("utf-8")
    assert recipe.content_hash() == GOLDEN_HASH


def test_content_hash_is_stable_across_loads() -> None:
    first = mini_recipe().content_hash()
    second = mini_recipe().content_hash()
    assert first == second
    assert len(first) == 64
    assert int(first, 16) >= 0


def test_hash_survives_a_round_trip_through_stored_json() -> None:
    recipe = mini_recipe()
    reloaded = recipe_from_data(recipe.model_dump(mode="json"))
    assert reloaded == recipe
    assert reloaded.content_hash() == recipe.content_hash()


def test_key_order_in_the_source_does_not_change_the_hash() -> None:
    data = mini_recipe_data()
    reordered = dict(reversed(list(data.items())))
    first_step = data["procedure"][0]["operations"][0]["steps"][0]
    reordered["procedure"][0]["operations"][0]["steps"][0] = dict(
        reversed(list(first_step.items()))
    )
    assert list(reordered) != list(data)
    assert parse_recipe(as_yaml(reordered)).content_hash() == mini_recipe().content_hash()


def test_explicit_defaults_hash_the_same_as_omitted_ones() -> None:
    data = mini_recipe_data()
    close_lid = data["procedure"][0]["operations"][1]["steps"][0]
    assert close_lid["id"] == "close-lid"
    close_lid.update({"role": "operator", "verify": False, "inputs": []})
    data["description"] = ""
    assert parse_recipe(as_yaml(data)).content_hash() == mini_recipe().content_hash()


def test_a_bare_yaml_decimal_and_the_same_digits_quoted_hash_the_same() -> None:
    text = as_yaml(mini_recipe_data())
    assert "min: '9.95'" in text
    bare = text.replace("min: '9.95'", "min: 9.95")
    assert parse_recipe(bare).content_hash() == parse_recipe(text).content_hash()


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("max: '10.05'", "max: '10.06'"),
        ("max: '10.05'", "max: '10.050'"),
        ("Perform mix as written", "Perform  mix as written"),
        ("version: 1", "version: 2"),
    ],
)
def test_any_change_to_the_content_changes_the_hash(old: str, new: str) -> None:
    text = as_yaml(mini_recipe_data())
    assert old in text
    assert parse_recipe(text.replace(old, new)).content_hash() != parse_recipe(text).content_hash()


def test_a_loaded_recipe_is_immutable() -> None:
    recipe = mini_recipe()
    with pytest.raises(ValidationError):
        recipe.version = 2  # type: ignore[misc]  # assigning is what is being refused
    weigh = recipe.step("weigh-api")
    assert weigh is not None
    with pytest.raises(ValidationError):
        weigh.verify = False  # type: ignore[misc]  # assigning is what is being refused
    assert recipe.content_hash() == mini_recipe().content_hash()


def test_changing_the_source_data_after_loading_does_not_change_the_recipe() -> None:
    data = mini_recipe_data()
    recipe = recipe_from_data(copy.deepcopy(data))
    before = recipe.content_hash()
    data["procedure"][0]["operations"][0]["steps"][1]["inputs"][1]["max"] = "99"
    assert recipe.content_hash() == before


def test_steps_come_in_execution_order_across_operations() -> None:
    ids = [s.id for s in mini_recipe().steps()]
    assert ids == [
        "line-clearance",
        "weigh-api",
        "close-lid",
        "mix",
        "supervisor-check",
        "qa-release",
    ]


def test_step_and_input_lookup() -> None:
    recipe = mini_recipe()
    weigh = recipe.step("weigh-api")
    assert weigh is not None
    assert weigh.kind is StepKind.RECORD
    mass = weigh.input("mass")
    assert isinstance(mass, NumberInput)
    assert (mass.unit, str(mass.min), str(mass.max), mass.critical) == ("kg", "9.95", "10.05", True)
    assert weigh.input("nope") is None
    assert recipe.step("nope") is None


# time constraints: optional step fields that leave existing recipes' hashes alone ----------------

# Computed before the time-constraint fields existed; a recipe that does not use them keeps them.
EXAMPLE_HASHES = {
    "demo-short.yaml": "3c25af2eaa1020ace26846291aa1c1137fc7894cc9435253a2d0691bde0b8026",
    "gran-pcm500.yaml": "467d74ada8ec6751cfd409d7bfdd87cdad0b1f3747deb0c9edff2cd6c15e7e05",
    "juice-oj1000.yaml": "d1a27275645746ad44ebb81bfeccb430660144dc3e3b6e5b207d401d055609f3",
}
MINI_HASH = "c405fde5f416e790c0ad9490aa0c1c2358be1576f26137af845c9d05f56144d5"


@pytest.mark.parametrize(("filename", "expected"), sorted(EXAMPLE_HASHES.items()))
def test_example_recipe_hashes_are_unchanged(filename: str, expected: str) -> None:
    assert example(filename).content_hash() == expected


def test_mini_recipe_hash_is_unchanged() -> None:
    assert mini_recipe().content_hash() == MINI_HASH


def _timed_data() -> dict[str, Any]:
    data = mini_recipe_data()
    blend = data["procedure"][0]["operations"][1]["steps"]
    blend[1].update({"min_duration_minutes": 15, "max_duration_minutes": 30})
    blend[2]["complete_within"] = {"after": "weigh-api", "minutes": 240}
    return data


def test_time_constraints_load_and_change_the_hash() -> None:
    recipe = recipe_from_data(_timed_data())
    mix, check = recipe.step("mix"), recipe.step("supervisor-check")
    assert mix is not None and check is not None
    assert (mix.min_duration_minutes, mix.max_duration_minutes) == (15, 30)
    assert check.complete_within == CompleteWithin(after="weigh-api", minutes=240)
    assert recipe.content_hash() != MINI_HASH
    assert (
        '"complete_within":{"after":"weigh-api","minutes":240}' in recipe.canonical_json().decode()
    )


def test_explicit_null_time_constraints_hash_as_omitted() -> None:
    data = mini_recipe_data()
    data["procedure"][0]["operations"][1]["steps"][1].update(
        {"min_duration_minutes": None, "max_duration_minutes": None, "complete_within": None}
    )
    assert recipe_from_data(data).content_hash() == MINI_HASH


def _problem(data: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(RecipeInvalid) as caught:
        recipe_from_data(data)
    details: list[dict[str, Any]] = caught.value.details
    assert len(details) == 1, details
    return details[0]


CHECK_STEP = "unit procedure 'making' › operation 'blend' › step 'supervisor-check'"


@pytest.mark.parametrize(
    ("after", "why"),
    [
        ("qa-release", "'qa-release' comes after 'supervisor-check'"),
        ("supervisor-check", "'supervisor-check' is this step itself"),
        ("granulate", "'granulate' is not a step of the recipe"),
    ],
)
def test_complete_within_must_name_an_earlier_step(after: str, why: str) -> None:
    data = _timed_data()
    data["procedure"][0]["operations"][1]["steps"][2]["complete_within"]["after"] = after
    assert _problem(data) == {
        "where": CHECK_STEP,
        "field": "complete_within.after",
        "message": f"must name an earlier step, but {why}",
    }


def test_complete_within_may_name_a_step_of_an_earlier_operation_or_the_one_just_before() -> None:
    data = _timed_data()
    data["procedure"][0]["operations"][1]["steps"][2]["complete_within"]["after"] = "mix"
    assert recipe_from_data(data).step("supervisor-check") is not None


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"min_duration_minutes": 0}, "min_duration_minutes", "greater than or equal to 1"),
        ({"max_duration_minutes": -5}, "max_duration_minutes", "greater than or equal to 1"),
        ({"min_duration_minutes": "soon"}, "min_duration_minutes", "valid integer"),
        ({"complete_within": {"after": "mix"}}, "complete_within.minutes", "Field required"),
        (
            {"complete_within": {"after": "mix", "minutes": 5, "hours": 1}},
            "complete_within.hours",
            "Extra inputs",
        ),
        ({"max_duration": 30}, "max_duration", "Extra inputs"),
    ],
)
def test_bad_time_constraint_fields_name_the_step_and_field(
    fields: dict[str, Any], field: str, message: str
) -> None:
    data = mini_recipe_data()
    data["procedure"][0]["operations"][1]["steps"][2].update(fields)
    problem = _problem(data)
    assert (problem["where"], problem["field"]) == (CHECK_STEP, field)
    assert message in problem["message"]


def test_min_duration_may_not_exceed_max_duration() -> None:
    data = mini_recipe_data()
    data["procedure"][0]["operations"][1]["steps"][1].update(
        {"min_duration_minutes": 31, "max_duration_minutes": 30}
    )
    assert _problem(data) == {
        "where": "unit procedure 'making' › operation 'blend' › step 'mix'",
        "field": None,
        "message": "min_duration_minutes 31 is greater than max_duration_minutes 30",
    }
