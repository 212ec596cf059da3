"""What the recipe pages and the start-batch form show, read from the store: never written here."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Engine

from ebr.domain.refusals import UnitMismatch
from ebr.domain.units import KNOWN_UNITS, convert
from ebr.store.db import session_scope
from ebr.store.recipes import RecipeRow, list_recipes, recipe_of


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
