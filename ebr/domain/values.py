"""Checking the values an operator enters for a step against the recipe's input specifications.

Values are recorded as entered: a number outside its limits is accepted and flagged out of
specification (the truth is never refused); a value of the wrong type, a missing required value, an
unknown input or a unit that cannot be converted is refused.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from ebr.domain.recipe import CheckInput, ChoiceInput, InputSpec, NumberInput, Step, TextInput
from ebr.domain.recipe_limits import MAX_DECIMAL_DIGITS, MAX_DECIMAL_EXPONENT
from ebr.domain.refusals import InvalidValues, UnitMismatch
from ebr.domain.units import convert

# Plain decimal notation only: no "1_000", no "0x10", no words such as "Infinity".
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
# Beyond these a number is not a measurement, and would cost unbounded memory to write out; the
# same bounds as a recipe's limits (ebr.domain.recipe_limits).
_MAX_DIGITS = MAX_DECIMAL_DIGITS
_MAX_EXPONENT = MAX_DECIMAL_EXPONENT


class RecordedValue(BaseModel):
    """One value as it is recorded: typed, in the recipe's unit, with what the person entered."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    type: Literal["number", "text", "check", "choice"]
    value: str | bool | None
    unit: str | None = None
    entered: str | None = None
    in_spec: bool | None = None
    critical: bool = False


_NAMED = 10
"""At most this many unknown inputs are named back (a body of 10,000 is refused in a few lines)."""


def validate_values(step: Step, raw: dict[str, Any]) -> tuple[RecordedValue, ...]:
    """Return the step's values checked and typed, or raise InvalidValues naming every bad field."""
    problems: list[dict[str, str]] = []
    unknown = sorted(set(raw) - {spec.name for spec in step.inputs})
    for name in (n[:64] for n in unknown[:_NAMED]):  # the rest counted, none echoed whole
        problems.append({"field": name, "reason": f"step {step.id!r} has no input {name!r}"})
    if len(unknown) > _NAMED:
        problems.append(
            {"field": "values", "reason": f"{len(unknown) - _NAMED} more unknown inputs"}
        )
    recorded: list[RecordedValue] = []
    for spec in step.inputs:
        entered = raw.get(spec.name)
        if entered is None or entered == "":
            if spec.required:
                problems.append({"field": spec.name, "reason": f"{spec.label} is required"})
            continue
        try:
            recorded.append(_typed(spec, entered))
        except (ValueError, UnitMismatch) as exc:
            reason = exc.message if isinstance(exc, UnitMismatch) else str(exc)
            problems.append({"field": spec.name, "reason": reason})
    if problems:
        fields = ", ".join(p["field"] for p in problems[:_NAMED])
        raise InvalidValues(f"values for step {step.id!r} are not valid ({fields})", problems)
    return tuple(recorded)


def _typed(spec: InputSpec, entered: Any) -> RecordedValue:
    if isinstance(spec, NumberInput):
        return _number(spec, entered)
    if isinstance(spec, TextInput):
        if not isinstance(entered, str):
            raise ValueError(f"{spec.label} must be text")
        if spec.required and not entered.strip():
            raise ValueError(f"{spec.label} is required and cannot be blank")
        if len(entered) > spec.max_length:
            raise ValueError(f"{spec.label} is longer than {spec.max_length} characters")
        return RecordedValue(name=spec.name, type="text", value=entered)
    if isinstance(spec, CheckInput):
        if not isinstance(entered, bool):
            raise ValueError(f"{spec.label} must be true or false")
        in_spec = None if spec.expected is None else entered == spec.expected
        return RecordedValue(name=spec.name, type="check", value=entered, in_spec=in_spec)
    assert isinstance(spec, ChoiceInput)
    if entered not in spec.options:
        raise ValueError(f"{spec.label} must be one of: {', '.join(spec.options)}")
    return RecordedValue(name=spec.name, type="choice", value=entered)


def _number(spec: NumberInput, entered: Any) -> RecordedValue:
    """A number may come bare (in the recipe's unit) or as {"value": ..., "unit": ...}."""
    unit = spec.unit
    amount = entered
    if isinstance(entered, dict):
        if set(entered) - {"value", "unit"} or "value" not in entered:
            raise ValueError(f'{spec.label} must be a number or {{"value": n, "unit": u}}')
        amount = entered["value"]
        unit = entered.get("unit") or spec.unit
        if not isinstance(unit, str):
            raise ValueError(f"{spec.label}: the unit must be text, such as {spec.unit!r}")
    if isinstance(amount, bool) or not isinstance(amount, int | float | str):
        raise ValueError(f"{spec.label} must be a number")
    text = str(amount).strip()
    if isinstance(amount, str) and not _NUMBER.fullmatch(text):
        raise ValueError(f"{spec.label} must be a number, not {amount!r}")
    try:
        as_entered = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{spec.label} must be a number, not {amount!r}") from None
    if not as_entered.is_finite():
        raise ValueError(f"{spec.label} must be a finite number")
    if (
        abs(as_entered.adjusted()) > _MAX_EXPONENT
        or len(as_entered.as_tuple().digits) > _MAX_DIGITS
    ):
        raise ValueError(f"{spec.label} is too large, too small or too long a number to record")
    value = convert(as_entered, unit, spec.unit)
    in_spec = (spec.min is None or value >= spec.min) and (spec.max is None or value <= spec.max)
    has_limits = spec.min is not None or spec.max is not None
    return RecordedValue(
        name=spec.name,
        type="number",
        value=_plain(value),
        unit=spec.unit,
        entered=None if unit == spec.unit else f"{_plain(as_entered)} {unit}",
        in_spec=in_spec if has_limits else None,
        critical=spec.critical,
    )


def _plain(number: Decimal) -> str:
    """Decimal as plain text without exponent; trailing zeros as entered are kept."""
    text = format(number, "f")
    if "." in text and number != number.to_integral_value() and len(text) > 20:
        text = format(number.normalize(), "f")
    return text
