"""The master recipe: an ISA-88-lite procedure of unit procedures, operations and steps.

A recipe version, once loaded, is immutable: it is identified by the SHA-256 of its canonical JSON,
and a batch binds to that hash, so what the operator executed is exactly what QA approved. Every
model here enforces the limits of ``ebr.domain.recipe_limits``, so any Recipe, however built, is
bounded in size; the limits constrain, and never change, what is written out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

import rfc8785
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError, to_json

from ebr.domain.recipe_limits import (
    MAX_CODE,
    MAX_DECIMAL_DIGITS,
    MAX_DECIMAL_EXPONENT,
    MAX_DESCRIPTION,
    MAX_ID,
    MAX_INPUTS,
    MAX_INSTRUCTIONS,
    MAX_MINUTES,
    MAX_NAME,
    MAX_OPERATIONS,
    MAX_OPTION,
    MAX_OPTIONS,
    MAX_RECIPE_JSON_BYTES,
    MAX_STEPS,
    MAX_TEXT_INPUT,
    MAX_UNIT,
    MAX_UNIT_PROCEDURES,
    MAX_VERSION,
)
from ebr.domain.roles import Role
from ebr.domain.units import is_known

_ID = rf"^[a-z0-9][a-z0-9_-]{{0,{MAX_ID - 1}}}$"
_CODE = rf"^[A-Z0-9][A-Z0-9_-]{{0,{MAX_CODE - 1}}}$"


def _bounded(value: Decimal) -> Decimal:
    """A decimal a recipe may hold: finite, below 10^16 and, unless zero, at least 10^-15 in
    magnitude, with at most 28 significant digits (as values entered, ``ebr.domain.values``)."""
    if not value.is_finite():
        raise ValueError("must be a finite number, not NaN or infinity")
    if value.is_zero():
        return value
    if value.adjusted() > MAX_DECIMAL_EXPONENT:
        raise ValueError(f"must be less than 10^{MAX_DECIMAL_EXPONENT + 1} in magnitude")
    if value.adjusted() < -MAX_DECIMAL_EXPONENT:
        raise ValueError(f"must be 0 or at least 10^-{MAX_DECIMAL_EXPONENT} in magnitude")
    if len(value.as_tuple().digits) > MAX_DECIMAL_DIGITS:
        raise ValueError(f"must have at most {MAX_DECIMAL_DIGITS} significant digits")
    return value


BoundedDecimal = Annotated[Decimal, AfterValidator(_bounded)]
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME)]
Minutes = Annotated[int, Field(ge=1, le=MAX_MINUTES)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Quantity(_Frozen):
    """A number with its unit; the number is a decimal string so no precision is lost."""

    value: Decimal
    unit: str = Field(max_length=MAX_UNIT)

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, unit: str) -> str:
        if not is_known(unit):
            raise ValueError(f"unknown unit {unit!r}")
        return unit


class BatchSize(Quantity):
    """The quantity one batch of the recipe makes: positive and bounded."""

    value: BoundedDecimal = Field(gt=0)


class StepKind(StrEnum):
    INSTRUCTION = "instruction"
    RECORD = "record"
    CHECK = "check"


class _InputBase(_Frozen):
    name: str = Field(pattern=_ID)
    label: Name
    required: bool = True


class NumberInput(_InputBase):
    """A measured or entered number in the recipe's unit, optionally with limits."""

    type: Literal["number"]
    unit: str = Field(max_length=MAX_UNIT)
    min: BoundedDecimal | None = None
    max: BoundedDecimal | None = None
    critical: bool = False

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, unit: str) -> str:
        if not is_known(unit):
            raise ValueError(f"unknown unit {unit!r}")
        return unit

    @model_validator(mode="after")
    def _limits_ordered(self) -> NumberInput:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is greater than max {self.max}")
        return self


class TextInput(_InputBase):
    type: Literal["text"]
    max_length: int = Field(default=2000, ge=1, le=MAX_TEXT_INPUT)


class CheckInput(_InputBase):
    """A yes/no confirmation; ``expected`` is the answer that is in specification."""

    type: Literal["check"]
    expected: bool | None = True


class ChoiceInput(_InputBase):
    type: Literal["choice"]
    options: tuple[Annotated[str, Field(max_length=MAX_OPTION)], ...] = Field(
        min_length=2, max_length=MAX_OPTIONS
    )

    @field_validator("options")
    @classmethod
    def _distinct(cls, options: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(options)) != len(options):
            raise ValueError("options must be distinct")
        return options


InputSpec = Annotated[
    NumberInput | TextInput | CheckInput | ChoiceInput, Field(discriminator="type")
]


class CompleteWithin(_Frozen):
    """A maximum hold time: this step is completed at most ``minutes`` after step ``after`` was."""

    after: str = Field(pattern=_ID)
    minutes: Minutes


class Step(_Frozen):
    """The smallest unit of work an operator signs for.

    The time constraints are optional, in whole minutes, and measured as ``ebr.domain.timing``
    says: ``min_duration_minutes`` and ``max_duration_minutes`` from the step's start to its
    completion, ``complete_within`` from the completion of an earlier step to this one's.
    """

    id: str = Field(pattern=_ID)
    name: Name
    instructions: str = Field(min_length=1, max_length=MAX_INSTRUCTIONS)
    kind: StepKind
    role: Role = Role.OPERATOR
    verify: bool = False
    inputs: tuple[InputSpec, ...] = Field(default=(), max_length=MAX_INPUTS)
    min_duration_minutes: Minutes | None = None
    max_duration_minutes: Minutes | None = None
    complete_within: CompleteWithin | None = None

    @field_validator("role")
    @classmethod
    def _performing_role(cls, role: Role) -> Role:
        if role in (Role.AUDITOR, Role.ADMIN, Role.AUTHOR):
            raise ValueError(f"role {role.value!r} does not perform steps")
        return role

    @model_validator(mode="after")
    def _inputs_fit_kind(self) -> Step:
        names = [spec.name for spec in self.inputs]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"input names repeat: {', '.join(duplicates)}")
        if self.kind is StepKind.INSTRUCTION and self.inputs:
            raise ValueError("an instruction step takes no inputs")
        if self.kind is StepKind.RECORD and not self.inputs:
            raise ValueError("a record step needs at least one input")
        if self.kind is StepKind.CHECK and not any(s.type == "check" for s in self.inputs):
            raise ValueError("a check step needs at least one check input")
        shortest, longest = self.min_duration_minutes, self.max_duration_minutes
        if shortest is not None and longest is not None and shortest > longest:
            raise ValueError(
                f"min_duration_minutes {shortest} is greater than max_duration_minutes {longest}"
            )
        return self

    def input(self, name: str) -> InputSpec | None:
        return next((spec for spec in self.inputs if spec.name == name), None)


class Operation(_Frozen):
    id: str = Field(pattern=_ID)
    name: Name
    steps: tuple[Step, ...] = Field(min_length=1, max_length=MAX_STEPS)


class UnitProcedure(_Frozen):
    id: str = Field(pattern=_ID)
    name: Name
    operations: tuple[Operation, ...] = Field(min_length=1, max_length=MAX_OPERATIONS)


class Product(_Frozen):
    code: str = Field(pattern=_CODE)
    name: Name


class Recipe(_Frozen):
    """A master recipe version. Build it with ``ebr.domain.recipe_loading.parse_recipe``."""

    code: str = Field(pattern=_CODE)
    version: int = Field(ge=1, le=MAX_VERSION)
    name: Name
    product: Product
    batch_size: BatchSize
    description: str = Field(default="", max_length=MAX_DESCRIPTION)
    procedure: tuple[UnitProcedure, ...] = Field(min_length=1, max_length=MAX_UNIT_PROCEDURES)

    @model_validator(mode="after")
    def _within_limits(self) -> Recipe:
        """The limits on the whole recipe: its steps, its operations, and its size as the batch's
        workflow carries it (docs/recipe-format.md, "Limits")."""
        steps = sum(len(o.steps) for u in self.procedure for o in u.operations)
        if steps > MAX_STEPS:
            raise ValueError(
                f"the recipe has {steps:,} steps; the limit is {MAX_STEPS:,}, so that a batch "
                "can carry every step's progress under Temporal's 2 MB payload limit"
            )
        operations = sum(len(u.operations) for u in self.procedure)
        if operations > MAX_OPERATIONS:
            raise ValueError(
                f"the recipe has {operations:,} operations; the limit is {MAX_OPERATIONS:,}"
            )
        size = len(to_json(self))
        if size > MAX_RECIPE_JSON_BYTES:
            raise ValueError(
                f"the recipe is {size:,} bytes as JSON; the limit is {MAX_RECIPE_JSON_BYTES:,}, "
                "so that a batch can carry it with its progress under Temporal's 2 MB payload "
                "limit (shorten instructions or labels, or split the recipe)"
            )
        return self

    @model_validator(mode="after")
    def _ids_unique(self) -> Recipe:
        for label, ids in (
            ("step", [s.id for s in self.steps()]),
            ("operation", [o.id for u in self.procedure for o in u.operations]),
            ("unit procedure", [u.id for u in self.procedure]),
        ):
            seen: set[str] = set()
            for item_id in ids:
                if item_id in seen:
                    raise ValueError(f"{label} id {item_id!r} is used more than once")
                seen.add(item_id)
        return self

    @model_validator(mode="after")
    def _hold_times_follow_earlier_steps(self) -> Recipe:
        """``complete_within.after`` must name a step that comes before; the error points at it."""
        earlier: set[str] = set()
        problems: list[InitErrorDetails] = []
        for u, unit in enumerate(self.procedure):
            for o, operation in enumerate(unit.operations):
                for s, step in enumerate(operation.steps):
                    within = step.complete_within
                    if within is not None and within.after not in earlier:
                        loc = ("procedure", u, "operations", o, "steps", s, "complete_within")
                        problems.append(_not_earlier(self, step.id, within.after, loc))
                    earlier.add(step.id)
        if problems:
            # A ValidationError, not a ValueError, so pydantic keeps each problem's place.
            raise ValidationError.from_exception_data("Recipe", problems)
        return self

    def steps(self) -> Iterator[Step]:
        """Every step in execution order."""
        for unit in self.procedure:
            for operation in unit.operations:
                yield from operation.steps

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps() if s.id == step_id), None)

    def canonical_json(self) -> bytes:
        """RFC 8785 canonical JSON of the recipe: the same bytes on every machine.

        Fields left at their defaults are omitted, so a recipe keeps its hash when a later ebr adds
        an optional field, and writing a default out or leaving it implicit is the same recipe.
        """
        return bytes(rfc8785.dumps(self.model_dump(mode="json", exclude_defaults=True)))

    def content_hash(self) -> str:
        """SHA-256 over the canonical JSON, hex: the identity a batch binds to."""
        return hashlib.sha256(self.canonical_json()).hexdigest()


def _not_earlier(
    recipe: Recipe, step_id: str, after: str, loc: tuple[str | int, ...]
) -> InitErrorDetails:
    if after == step_id:
        why = "is this step itself"
    elif recipe.step(after) is not None:
        why = f"comes after {step_id!r}"
    else:
        why = "is not a step of the recipe"
    message = f"must name an earlier step, but {after!r} {why}"
    return InitErrorDetails(
        type=PydanticCustomError("not_an_earlier_step", message),
        loc=(*loc, "after"),
        input=after,
    )
