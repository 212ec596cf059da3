"""Values entered for a step: typed, converted explicitly or refused, flagged when out of limits."""

from __future__ import annotations

import time
from typing import Any

import pytest

from ebr.domain.recipe import (
    CheckInput,
    ChoiceInput,
    InputSpec,
    NumberInput,
    Step,
    StepKind,
    TextInput,
)
from ebr.domain.refusals import InvalidValues
from ebr.domain.values import RecordedValue, validate_values

MASS = NumberInput.model_validate(
    {
        "type": "number",
        "name": "mass",
        "label": "Net mass",
        "unit": "kg",
        "min": "9.95",
        "max": "10.05",
        "critical": True,
    }
)
WEIGHT = NumberInput.model_validate(
    {
        "type": "number",
        "name": "weight",
        "label": "Tablet weight",
        "unit": "mg",
        "min": "588",
        "max": "612",
    }
)
TEMPERATURE = NumberInput.model_validate(
    {"type": "number", "name": "temp", "label": "Temperature", "unit": "°C"}
)
NOTE = TextInput(type="text", name="note", label="Note", max_length=10, required=False)
CLEAN = CheckInput(type="check", name="clean", label="Vessel clean")
SEEN = CheckInput(type="check", name="seen", label="Foam seen", expected=None, required=False)
SPEED = ChoiceInput(type="choice", name="speed", label="Speed", options=("low", "high"))


def _step(*inputs: InputSpec) -> Step:
    return Step(id="s", name="Step", instructions="Do it.", kind=StepKind.RECORD, inputs=inputs)


def _one(spec: InputSpec, entered: Any) -> RecordedValue:
    (recorded,) = validate_values(_step(spec), {spec.name: entered})
    return recorded


def _refusal(spec: InputSpec, entered: Any) -> str:
    with pytest.raises(InvalidValues) as caught:
        validate_values(_step(spec), {spec.name: entered})
    error = caught.value
    assert error.code == "invalid_values"
    assert error.details == [{"field": spec.name, "reason": error.details[0]["reason"]}]
    assert spec.name in error.message
    reason: str = error.details[0]["reason"]
    return reason


# numbers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("entered", [10, 10.0, "10", " 10.00 ", {"value": "10"}, {"value": 10}])
def test_number_in_the_recipe_unit_bare_string_or_dict(entered: Any) -> None:
    recorded = _one(MASS, entered)
    assert recorded.type == "number"
    assert recorded.unit == "kg"
    assert recorded.entered is None
    assert recorded.value is not None and float(str(recorded.value)) == 10.0
    assert recorded.in_spec is True


def test_number_keeps_the_digits_entered() -> None:
    assert _one(MASS, "10.000").value == "10.000"
    assert _one(MASS, {"value": "10.000", "unit": "kg"}).value == "10.000"


def test_grams_are_converted_to_the_recipe_kilograms_and_the_entry_is_kept() -> None:
    recorded = _one(MASS, {"value": "10020", "unit": "g"})
    assert recorded.value == "10.020"
    assert recorded.unit == "kg"
    assert recorded.entered == "10020 g"
    assert recorded.in_spec is True


def test_conversion_up_the_scale_is_exact() -> None:
    recorded = _one(WEIGHT, {"value": "0.6", "unit": "g"})
    assert (recorded.value, recorded.unit, recorded.entered) == ("600", "mg", "0.6 g")


def test_conversion_result_is_checked_against_the_limits() -> None:
    recorded = _one(MASS, {"value": 9900, "unit": "g"})
    assert recorded.value == "9.900"
    assert recorded.in_spec is False


@pytest.mark.parametrize("unit", ["L", "min", "%", "°C", "pcs"])
def test_units_of_another_dimension_are_refused(unit: str) -> None:
    reason = _refusal(MASS, {"value": 10, "unit": unit})
    assert reason == f"cannot convert {unit} to kg: they measure different things"


def test_temperatures_are_never_converted() -> None:
    assert _one(TEMPERATURE, {"value": "92.5", "unit": "°C"}).value == "92.5"
    reason = _refusal(TEMPERATURE, {"value": 198, "unit": "°F"})
    assert reason == "unknown unit '°F'"


@pytest.mark.parametrize("unit", ["lb", "KG", "kgs"])
def test_unknown_units_are_refused(unit: str) -> None:
    assert _refusal(MASS, {"value": 10, "unit": unit}) == f"unknown unit {unit!r}"


@pytest.mark.parametrize("entered", ["ten", "10,5", "10 kg", [10], {"amount": 10}, {"unit": "kg"}])
def test_not_a_number_is_refused(entered: Any) -> None:
    reason = _refusal(MASS, entered)
    assert reason.startswith("Net mass must be a number")


def test_extra_keys_in_a_number_dict_are_refused() -> None:
    reason = _refusal(MASS, {"value": 10, "unit": "kg", "note": "x"})
    assert reason == 'Net mass must be a number or {"value": n, "unit": u}'


@pytest.mark.parametrize("entered", [True, False, {"value": True, "unit": "kg"}])
def test_booleans_are_not_numbers(entered: Any) -> None:
    assert _refusal(MASS, entered) == "Net mass must be a number"


@pytest.mark.parametrize("entered", [float("nan"), float("inf"), float("-inf")])
def test_nan_and_infinity_are_refused(entered: Any) -> None:
    assert _refusal(MASS, entered) == "Net mass must be a finite number"


@pytest.mark.parametrize("entered", ["NaN", "nan", "sNaN", "Infinity", "-inf"])
def test_nan_and_infinity_written_as_words_are_not_numbers(entered: str) -> None:
    assert _refusal(MASS, entered) == f"Net mass must be a number, not {entered!r}"


@pytest.mark.parametrize("entered", ["10.06", 9.94, "0", "-10", "1e3"])
def test_out_of_limit_values_are_recorded_and_flagged(entered: Any) -> None:
    recorded = _one(MASS, entered)
    assert recorded.in_spec is False
    assert recorded.critical is True
    assert recorded.value is not None


@pytest.mark.parametrize("entered", ["9.95", "10.05"])
def test_limits_are_inclusive(entered: str) -> None:
    assert _one(MASS, entered).in_spec is True


def test_only_max_or_only_min() -> None:
    at_most = NumberInput(type="number", name="lod", label="LOD", unit="%", max=2)
    at_least = NumberInput(type="number", name="time", label="Time", unit="s", min=15)
    assert _one(at_most, "-1").in_spec is True
    assert _one(at_most, "2.1").in_spec is False
    assert _one(at_least, 14).in_spec is False
    assert _one(at_least, 1500).in_spec is True


def test_without_limits_there_is_no_verdict() -> None:
    recorded = _one(TEMPERATURE, "-40")
    assert recorded.in_spec is None
    assert recorded.critical is False


def test_critical_is_carried_on_the_recorded_value() -> None:
    assert _one(MASS, "10").critical is True
    assert _one(WEIGHT, "600").critical is False


def test_a_list_as_unit_is_refused_not_a_crash() -> None:
    # Regression: an unhashable unit used to raise TypeError out of validate_values.
    reason = _refusal(MASS, {"value": 10, "unit": ["kg"]})
    assert reason == "Net mass: the unit must be text, such as 'kg'"


@pytest.mark.parametrize(
    "entered",
    [
        "1e999999999",
        "-1e999999999",
        "1e-999999999",
        {"value": "1e999999", "unit": "t"},
        {"value": "1e-999999", "unit": "g"},
        "1" * 29,
        "0." + "0" * 27 + "1",
    ],
)
def test_absurd_magnitudes_are_refused_quickly(entered: Any) -> None:
    # Regression: "1e999999999" used to be written out as a billion-character value, and
    # {"value": "1e999999", "unit": "t"} raised decimal.Overflow out of validate_values.
    started = time.monotonic()
    reason = _refusal(MASS, entered)
    assert time.monotonic() - started < 1.0
    assert reason == "Net mass is too large, too small or too long a number to record"


@pytest.mark.parametrize("entered", ["123456789012345", "0.000000000000001", "1" * 15 + ".5"])
def test_large_and_small_but_plausible_numbers_are_accepted(entered: str) -> None:
    assert _one(TEMPERATURE, entered).value == entered


# text, check, choice ---------------------------------------------------------------------------


def test_text_is_recorded_as_entered() -> None:
    recorded = _one(NOTE, "  ok  ")
    assert (recorded.type, recorded.value, recorded.in_spec) == ("text", "  ok  ", None)


def test_text_too_long() -> None:
    assert _refusal(NOTE, "x" * 11) == "Note is longer than 10 characters"
    assert _one(NOTE, "x" * 10).value == "x" * 10


def test_text_must_be_text() -> None:
    assert _refusal(NOTE, 12) == "Note must be text"


@pytest.mark.parametrize("entered", ["true", "yes", 1, 0, "false"])
def test_check_must_be_a_boolean(entered: Any) -> None:
    assert _refusal(CLEAN, entered) == "Vessel clean must be true or false"


def test_check_is_compared_with_expected() -> None:
    assert _one(CLEAN, True).in_spec is True
    not_clean = _one(CLEAN, False)
    assert (not_clean.value, not_clean.in_spec) == (False, False)
    dirty_expected = CheckInput(type="check", name="dirty", label="Dirty", expected=False)
    assert _one(dirty_expected, False).in_spec is True
    assert _one(SEEN, False).in_spec is None


def test_choice_must_be_one_of_the_options() -> None:
    assert _one(SPEED, "high").value == "high"
    assert _refusal(SPEED, "HIGH") == "Speed must be one of: low, high"
    assert _refusal(SPEED, ["low"]) == "Speed must be one of: low, high"


# the set of values -----------------------------------------------------------------------------


@pytest.mark.parametrize("missing", [None, ""])
def test_required_value_missing(missing: Any) -> None:
    assert _refusal(MASS, missing) == "Net mass is required"


def test_required_value_absent_and_optional_values_skipped() -> None:
    step = _step(MASS, NOTE, SEEN)
    with pytest.raises(InvalidValues) as caught:
        validate_values(step, {})
    assert caught.value.details == [{"field": "mass", "reason": "Net mass is required"}]
    recorded = validate_values(step, {"mass": "10", "note": ""})
    assert [r.name for r in recorded] == ["mass"]


def test_unknown_input_name_is_refused() -> None:
    with pytest.raises(InvalidValues) as caught:
        validate_values(_step(MASS), {"mass": "10", "masss": "10"})
    assert caught.value.details == [{"field": "masss", "reason": "step 's' has no input 'masss'"}]


def test_every_bad_field_is_named_at_once() -> None:
    step = _step(MASS, NOTE, CLEAN, SPEED)
    with pytest.raises(InvalidValues) as caught:
        validate_values(step, {"mass": {"value": 1, "unit": "L"}, "clean": "yes", "bogus": 1})
    fields = [p["field"] for p in caught.value.details]
    assert fields == ["bogus", "mass", "clean", "speed"]
    assert caught.value.message == "values for step 's' are not valid (bogus, mass, clean, speed)"


def test_values_come_back_in_recipe_order() -> None:
    step = _step(MASS, NOTE, CLEAN, SPEED)
    recorded = validate_values(step, {"speed": "low", "clean": True, "note": "n", "mass": 10})
    assert [r.name for r in recorded] == ["mass", "note", "clean", "speed"]


@pytest.mark.parametrize("entered", ["1_000", "0x10", "Infinity", "1e", " ", "12,5"])
def test_numbers_must_be_plain_decimal_notation(entered: str) -> None:
    step = _step(WEIGHT)
    with pytest.raises(InvalidValues) as caught:
        validate_values(step, {"weight": entered})
    assert caught.value.details[0]["field"] == "weight"


def test_a_required_text_cannot_be_blank() -> None:
    required_note = TextInput(type="text", name="note", label="Note")
    with pytest.raises(InvalidValues) as caught:
        validate_values(_step(required_note), {"note": "   "})
    assert caught.value.details == [
        {"field": "note", "reason": "Note is required and cannot be blank"}
    ]


def test_ten_thousand_unknown_inputs_are_counted_not_echoed() -> None:
    raw = {f"field-{n:05d}-" + "x" * 200: "1" for n in range(10_000)}
    with pytest.raises(InvalidValues) as caught:
        validate_values(_step(MASS), {"mass": "10", **raw})
    details = caught.value.details
    assert len(details) == 11 and details[-1] == {
        "field": "values",
        "reason": "9990 more unknown inputs",
    }
    assert all(len(d["field"]) <= 64 for d in details)
    assert len(caught.value.message) < 1000
