"""The example master recipes under examples/recipes: valid, realistic and stable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ebr.domain.recipe import CheckInput, NumberInput, Recipe, StepKind
from ebr.domain.recipe_loading import parse_recipe
from ebr.domain.roles import Role
from tests.domain.builders import EXAMPLES

FILES = sorted(EXAMPLES.glob("*.yaml"))
FULL_SIZE = [p for p in FILES if p.name != "demo-short.yaml"]


def _load(path: Path) -> Recipe:
    return parse_recipe(path.read_text(encoding="utf-8"))


def test_there_are_a_pharmaceutical_a_food_and_a_demo_recipe() -> None:
    codes = {_load(p).code for p in FILES}
    assert {"GRAN-PCM500", "JUICE-OJ1000", "DEMO-SHORT"} <= codes
    assert len(FULL_SIZE) >= 2


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_example_parses_and_its_file_is_named_for_its_code(path: Path) -> None:
    recipe = _load(path)
    assert path.stem == recipe.code.lower()
    assert recipe.version >= 1


@pytest.mark.parametrize("path", FULL_SIZE, ids=lambda p: p.name)
def test_full_size_example_has_at_least_twenty_steps(path: Path) -> None:
    assert len(list(_load(path).steps())) >= 20


def test_demo_recipe_is_short() -> None:
    assert len(list(_load(EXAMPLES / "demo-short.yaml").steps())) == 6


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_example_content_hash_is_stable(path: Path) -> None:
    first = _load(path).content_hash()
    second = _load(path).content_hash()
    assert first == second
    assert re.fullmatch(r"[0-9a-f]{64}", first)


def test_example_hashes_differ() -> None:
    hashes = [_load(p).content_hash() for p in FILES]
    assert len(set(hashes)) == len(hashes)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_example_uses_the_features_a_real_recipe_needs(path: Path) -> None:
    recipe = _load(path)
    steps = list(recipe.steps())
    inputs = [spec for s in steps for spec in s.inputs]
    assert any(s.verify for s in steps), "second-person verification"
    assert any(s.role is Role.QA for s in steps), "a QA step"
    assert {s.kind for s in steps} == set(StepKind)
    assert any(isinstance(i, NumberInput) and i.critical for i in inputs)
    assert any(isinstance(i, CheckInput) for i in inputs)
    assert {i.type for i in inputs} == {"number", "text", "check", "choice"}
    for spec in inputs:
        if isinstance(spec, NumberInput) and spec.min is not None and spec.max is not None:
            assert spec.min <= spec.max


@pytest.mark.parametrize("path", FULL_SIZE, ids=lambda p: p.name)
def test_full_size_example_has_supervisor_steps_and_verified_clearance(path: Path) -> None:
    steps = list(_load(path).steps())
    assert any(s.role is Role.SUPERVISOR for s in steps)
    clearances = [s for s in steps if "line-clearance" in s.id]
    assert clearances
    assert all(s.verify and s.kind is StepKind.CHECK for s in clearances)


def test_pharmaceutical_recipe_controls_its_critical_parameters() -> None:
    recipe = _load(EXAMPLES / "gran-pcm500.yaml")
    weighings = [s for s in recipe.steps() if s.id.startswith("weigh-")]
    assert len(weighings) >= 5
    assert all(s.verify for s in weighings)

    def spec(step_id: str, name: str) -> NumberInput:
        step = recipe.step(step_id)
        assert step is not None
        found = step.input(name)
        assert isinstance(found, NumberInput)
        return found

    lod = spec("dry-lod-check", "lod")
    assert (lod.unit, lod.critical) == ("%", True)
    weight = spec("ipc-weight", "mean-weight")
    assert (weight.unit, weight.critical) == ("mg", True)
    hardness = spec("ipc-hardness-friability", "hardness")
    assert (hardness.unit, hardness.critical) == ("kp", True)


def test_food_recipe_treats_pasteurisation_as_a_critical_control_point() -> None:
    recipe = _load(EXAMPLES / "juice-oj1000.yaml")
    ccp = recipe.step("pasteurisation-ccp")
    assert ccp is not None
    assert ccp.verify
    temperature = ccp.input("holding-temperature")
    time = ccp.input("holding-time")
    assert isinstance(temperature, NumberInput) and isinstance(time, NumberInput)
    assert (temperature.unit, temperature.critical) == ("°C", True)
    assert (time.unit, time.critical) == ("s", True)
    assert temperature.min is not None and time.min is not None
    units = {
        spec.unit for s in recipe.steps() for spec in s.inputs if isinstance(spec, NumberInput)
    }
    assert {"°Bx", "pH", "µS/cm"} <= units


def test_the_example_in_the_recipe_format_document_is_valid() -> None:
    doc = (EXAMPLES.parents[1] / "docs" / "recipe-format.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(.*?)```", doc, re.DOTALL)
    assert block is not None
    recipe = parse_recipe(block.group(1))
    assert recipe.code == "DOC-EXAMPLE"
    assert [s.id for s in recipe.steps()] == ["line-clearance", "weigh-powder"]
