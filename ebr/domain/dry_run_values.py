"""The values a recipe dry run enters (``ebr.dry_run``): every input in its specification, and
each critical number just out of its limits (a ``Variant``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from ebr.domain.recipe import (
    CheckInput,
    ChoiceInput,
    InputSpec,
    NumberInput,
    Recipe,
    Step,
    TextInput,
)

__all__ = ["TEXT_VALUE", "Variant", "in_limit_value", "in_limit_values", "variants"]

TEXT_VALUE = "dry run"


def in_limit_value(spec: InputSpec) -> str | bool:
    """A value in specification: a number at the middle of its limits (or a tenth inside its one
    limit, or 1 without limits), the expected answer of a check (true when any answer is), the
    first choice, a short text."""
    if isinstance(spec, NumberInput):
        return _plain(_in_limits(spec.min, spec.max))
    if isinstance(spec, CheckInput):
        return True if spec.expected is None else spec.expected
    if isinstance(spec, ChoiceInput):
        return spec.options[0]
    assert isinstance(spec, TextInput)
    return TEXT_VALUE[: spec.max_length]


def in_limit_values(step: Step) -> dict[str, Any]:
    """A value in specification for every input of ``step``, required or not."""
    return {spec.name: in_limit_value(spec) for spec in step.inputs}


class Variant(BaseModel):
    """One critical number entered just out of its limits: ``value`` is one unit of its limit's
    last digit above its max (or below its min, when it has no max)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    step_id: str
    input: str
    label: str
    value: str
    unit: str
    limits: str

    def values(self, step: Step) -> dict[str, Any]:
        """The step's in-limit values with this one out of its limits."""
        return in_limit_values(step) | {self.input: self.value}


def variants(recipe: Recipe) -> list[Variant]:
    """An out-of-limit variant for each critical number input with a limit, in recipe order."""
    found: list[Variant] = []
    for step in recipe.steps():
        for spec in step.inputs:
            if not isinstance(spec, NumberInput) or not spec.critical:
                continue
            if spec.max is not None:
                value = spec.max + _last_digit(spec.max)
            elif spec.min is not None:
                value = spec.min - _last_digit(spec.min)
            else:
                continue
            found.append(
                Variant(
                    step_id=step.id,
                    input=spec.name,
                    label=spec.label,
                    value=_plain(value),
                    unit=spec.unit,
                    limits=_limits(spec),
                )
            )
    return found


def _in_limits(low: Decimal | None, high: Decimal | None) -> Decimal:
    if low is not None and high is not None:
        return (low + high) / 2
    if low is not None:
        return low + (abs(low) / 10 or Decimal(1))
    if high is not None:
        return high - (abs(high) / 10 or Decimal(1))
    return Decimal(1)


def _last_digit(limit: Decimal) -> Decimal:
    exponent = limit.as_tuple().exponent
    assert isinstance(exponent, int)  # a limit is finite
    return Decimal(1).scaleb(min(exponent, 0))


def _plain(number: Decimal) -> str:
    return format(number, "f")


def _limits(spec: NumberInput) -> str:
    if spec.min is not None and spec.max is not None:
        return f"{spec.min} to {spec.max} {spec.unit}"
    if spec.max is not None:
        return f"at most {spec.max} {spec.unit}"
    return f"at least {spec.min} {spec.unit}"
