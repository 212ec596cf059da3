"""What the pages show, read from the store through ``api.batch_views``: never written here."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from api.batch_views import batch_detail, batch_summary
from api.schemas import BatchDetail, BatchSummary, StepView
from ebr.domain.batch import BatchStatus, StepStatus
from ebr.domain.errors import UnitMismatch
from ebr.domain.execution import VERIFYING_ROLES
from ebr.domain.records import Meaning
from ebr.domain.units import KNOWN_UNITS, convert
from ebr.store.batches import list_batches
from ebr.store.db import session_scope
from ebr.store.recipes import RecipeRow, get_recipe_by_hash, list_recipes, recipe_of


@dataclass
class FormState:
    """A refused form, shown again beside its step with what was entered and why it was refused."""

    step_id: str
    action: str
    code: str
    message: str
    status: int
    field_errors: dict[str, str] = field(default_factory=dict)
    entered: dict[str, str] = field(default_factory=dict)
    comment: str = ""


@dataclass(frozen=True)
class OperationGroup:
    name: str
    steps: list[StepView]


@dataclass(frozen=True)
class UnitGroup:
    name: str
    operations: list[OperationGroup]


@dataclass(frozen=True)
class BatchPage:
    batch: BatchDetail
    product_name: str
    groups: list[UnitGroup]
    current: StepView | None

    @property
    def active(self) -> bool:
        return self.batch.status is BatchStatus.IN_PROGRESS

    @property
    def out_of_spec(self) -> list[StepView]:
        """The steps with a recorded value outside its limits or not as expected."""
        return [
            s
            for s in self.batch.steps
            if any(v.in_spec is False for r in s.records for v in r.values)
        ]

    def number(self, step_id: str) -> int:
        """The step's position in the procedure, from 1."""
        return next(i for i, s in enumerate(self.batch.steps, 1) if s.step_id == step_id)

    def step_name(self, step_id: str) -> str:
        return next((s.name for s in self.batch.steps if s.step_id == step_id), step_id)

    @staticmethod
    def performer(step: StepView) -> str | None:
        """Who performed the step's latest execution (the one a verifier must not be)."""
        done = [r for r in step.records if r.meaning is Meaning.PERFORMED]
        return done[-1].manifestation.user_id if done else None

    @staticmethod
    def specs(step: StepView) -> dict[str, dict[str, Any]]:
        return specs_by_name(step)

    @staticmethod
    def verifiers(step: StepView) -> list[str]:
        """The roles that may verify the step, as the workflow checks them."""
        return sorted({r.value for r in VERIFYING_ROLES | {step.role}})


def grouped(steps: list[StepView]) -> list[UnitGroup]:
    """Steps in order, grouped by unit procedure then operation (consecutive runs, as in the recipe)."""
    units: list[UnitGroup] = []
    for step in steps:
        if not units or units[-1].name != step.unit_procedure:
            units.append(UnitGroup(name=step.unit_procedure, operations=[]))
        operations = units[-1].operations
        if not operations or operations[-1].name != step.operation:
            operations.append(OperationGroup(name=step.operation, steps=[]))
        operations[-1].steps.append(step)
    return units


def batch_page(*, engine: Engine, batch_id: str) -> BatchPage:
    """The batch with its steps grouped; raises ApiError 404 when there is no such batch."""
    with session_scope(engine) as session:
        detail = batch_detail(session=session, batch_id=batch_id)
        recipe = get_recipe_by_hash(session=session, content_hash=detail.recipe_hash)
        product_name = recipe.product_name if recipe else ""
    current = None
    if detail.status is BatchStatus.IN_PROGRESS:
        current = next((s for s in detail.steps if s.status is not StepStatus.DONE), None)
    return BatchPage(
        batch=detail, product_name=product_name, groups=grouped(detail.steps), current=current
    )


def batch_list(*, engine: Engine, status: BatchStatus | None) -> list[BatchSummary]:
    with session_scope(engine) as session:
        return [batch_summary(row) for row in list_batches(session=session, status=status)]


@dataclass(frozen=True)
class RecipeChoice:
    """A recipe version a batch can be started from, with the units its size may be given in."""

    key: str
    label: str
    unit: str
    units: list[str]


def recipe_rows(*, engine: Engine) -> list[RecipeRow]:
    with session_scope(engine) as session:
        return list_recipes(session=session)


def recipe_choices(*, engine: Engine) -> list[RecipeChoice]:
    """Every loaded recipe version, for the start-batch form."""
    with session_scope(engine) as session:
        rows = [(row, recipe_of(row).batch_size.unit) for row in list_recipes(session=session)]
    return [
        RecipeChoice(
            key=f"{row.code}/{row.version}",
            label=f"{row.code} v{row.version} — {row.name}",
            unit=unit,
            units=compatible_units(unit),
        )
        for row, unit in rows
    ]


def compatible_units(unit: str) -> list[str]:
    """Every unit a quantity in ``unit`` can be converted from, ``unit`` first."""
    others = []
    for candidate in sorted(KNOWN_UNITS - {unit}):
        try:
            convert(Decimal(1), candidate, unit)
        except UnitMismatch:
            continue
        others.append(candidate)
    return [unit, *others]


def start_units(choices: list[RecipeChoice]) -> list[str]:
    """The units offered for a planned quantity: each recipe's own first, then the compatible."""
    units: list[str] = []
    for group in ([c.unit for c in choices], *(c.units for c in choices)):
        units.extend(u for u in group if u not in units)
    return units


def specs_by_name(step: StepView) -> dict[str, dict[str, Any]]:
    return {str(spec["name"]): spec for spec in step.inputs}
