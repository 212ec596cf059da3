"""The recipe model: identity by content hash, canonical bytes, immutability and lookups."""

from __future__ import annotations

import copy

import pytest
from pydantic import ValidationError

from ebr.domain.recipe import NumberInput, StepKind
from ebr.domain.recipe_loading import parse_recipe, recipe_from_data
from tests.domain.builders import as_yaml, mini_recipe, mini_recipe_data

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
