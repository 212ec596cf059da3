"""What the recipe library and the start-batch form show, read from the store: never written here.

Each version's state comes from its signatures and the clock (``ebr.store.recipe_versions``), so
the library and the start form ask it now, as the API does; only an effective version is offered
to start a batch (``Commands.start_batch`` refuses any other, saying why).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from itertools import groupby

from sqlalchemy import Engine
from sqlmodel import Session

from api.recipe_schemas import RecipeSummary
from api.recipes import recipe_summaries
from ebr.domain.recipe_diff import RecipeDiff, diff_recipes
from ebr.domain.recipe_versions import RecipeVersion
from ebr.domain.refusals import RecipeNotFound, UnitMismatch
from ebr.domain.units import KNOWN_UNITS, convert
from ebr.store.db import session_scope
from ebr.store.recipe_versions import recipe_versions
from ebr.store.recipes import RecipeRow, get_revision, list_recipes, recipe_of

__all__ = [
    "RecipeChoice",
    "RecipeCode",
    "compatible_units",
    "content_of",
    "recipe_choices",
    "recipe_diff",
    "recipe_library",
    "start_units",
]


@dataclass(frozen=True)
class RecipeChoice:
    """A recipe version a batch can be started from, with the units its size may be given in."""

    key: str
    label: str
    unit: str
    units: list[str]


@dataclass(frozen=True)
class RecipeCode:
    """One recipe code in the library: every version of it, in version order."""

    code: str
    versions: list[RecipeSummary]

    @property
    def name(self) -> str:
        return self.versions[-1].name


def recipe_library(*, engine: Engine) -> list[RecipeCode]:
    """Every version of every recipe, by code, each with its state, author and dates now."""
    with session_scope(engine) as session:
        summaries = recipe_summaries(session=session)
    return [
        RecipeCode(code=code, versions=list(versions))
        for code, versions in groupby(summaries, key=lambda s: s.code)
    ]


def recipe_diff(*, engine: Engine, code: str, before: int, after: int) -> RecipeDiff:
    """What changed from version ``before`` to version ``after`` of ``code``: each version's
    content as its signatures name it (its draft's while it is a draft)."""
    with session_scope(engine) as session:
        versions = {v.version: v for v in recipe_versions(session=session, code=code)}
        recipes = []
        for number in (before, after):
            row = content_of(session, versions.get(number))
            if row is None:
                raise RecipeNotFound(
                    f"there is no recipe {code} v{number}",
                    {"recipe_code": code, "recipe_version": number},
                )
            recipes.append(recipe_of(row))
    return diff_recipes(recipes[0], recipes[1])


def content_of(session: Session, version: RecipeVersion | None) -> RecipeRow | None:
    """The revision a version's signatures name (its draft's while it is a draft): what its
    signers see is what they sign, even when an earlier content was saved again after a later
    one (the version's latest revision is then not its content)."""
    if version is None:
        return None
    return get_revision(
        session=session,
        code=version.code,
        version=version.version,
        content_hash=version.content_hash,
    )


def recipe_choices(*, engine: Engine) -> list[RecipeChoice]:
    """Every recipe version effective now, for the start-batch form: its approved content's batch
    size names the unit offered first."""
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        codes = sorted({row.code for row in list_recipes(session=session)})
        rows = []
        for code in codes:
            for version in recipe_versions(session=session, code=code):
                if not version.state_at(now).starts_batches:
                    continue
                row = content_of(session, version)
                if row is not None:
                    rows.append((row, recipe_of(row).batch_size.unit))
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
