"""The recipes table: each recipe version as uploaded and as canonical JSON, with its hash."""

from __future__ import annotations

import hashlib
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select

from ebr.domain.recipe import Recipe
from ebr.store.columns import UTCDateTime, as_utc
from ebr.store.errors import Conflict, StoreError
from ebr.store.keyed import insert_once

__all__ = [
    "RecipeRow",
    "get_recipe",
    "get_recipe_by_hash",
    "list_recipes",
    "recipe_of",
    "save_recipe",
]


class RecipeRow(SQLModel, table=True):
    """A recipe version. ``body`` is what batches execute; ``source`` is kept for the reviewer."""

    __tablename__ = "recipes"
    __table_args__ = (UniqueConstraint("code", "version", name="uq_recipes_code_version"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str
    version: int
    name: str
    product_code: str
    product_name: str
    content_hash: str = Field(max_length=64, index=True)
    source: str = Field(sa_column=Column(Text, nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    step_count: int
    loaded_by: str
    loaded_at: datetime = Field(sa_type=UTCDateTime)


def save_recipe(
    *, session: Session, recipe: Recipe, source: str, loaded_by: str, at: datetime
) -> tuple[RecipeRow, bool]:
    """Store a recipe version once; return ``(row, created)``.

    Loading the same content again (same code, version and hash) returns the stored row, whoever
    loads it. Other content under an existing code and version is refused: a version, once loaded,
    is what batches bound to it executed, so changed content needs a new version.
    """
    row = RecipeRow(
        code=recipe.code,
        version=recipe.version,
        name=recipe.name,
        product_code=recipe.product.code,
        product_name=recipe.product.name,
        content_hash=recipe.content_hash(),
        source=source,
        body=recipe.canonical_json().decode("utf-8"),
        step_count=sum(1 for _ in recipe.steps()),
        loaded_by=loaded_by,
        loaded_at=as_utc(at),
    )
    label = f"recipe {recipe.code} v{recipe.version}"
    return insert_once(
        session=session,
        row=row,
        fields=["content_hash"],
        find=lambda: get_recipe(session=session, code=recipe.code, version=recipe.version),
        differs=lambda existing, _: Conflict(
            f"{label} already exists with different content; give the new content a new version",
            {"code": recipe.code, "version": recipe.version, "stored": existing.content_hash},
        ),
        collides=lambda: StoreError(f"{label} could not be stored"),
    )


def get_recipe(*, session: Session, code: str, version: int) -> RecipeRow | None:
    query = select(RecipeRow).where(RecipeRow.code == code, RecipeRow.version == version)
    return session.exec(query).first()


def get_recipe_by_hash(*, session: Session, content_hash: str) -> RecipeRow | None:
    return session.exec(select(RecipeRow).where(RecipeRow.content_hash == content_hash)).first()


def list_recipes(*, session: Session, code: str | None = None) -> list[RecipeRow]:
    """Recipe versions ordered by code, then version; only those of ``code`` if it is given."""
    query = select(RecipeRow).order_by(col(RecipeRow.code), col(RecipeRow.version))
    if code is not None:
        query = query.where(RecipeRow.code == code)
    return list(session.exec(query).all())


def recipe_of(row: RecipeRow) -> Recipe:
    """The Recipe a row holds, checked against the row's hash, code and version.

    A mismatch means the stored row was altered outside ebr; executing it would break the promise
    that a batch runs exactly the content QA approved, so it raises StoreError instead.
    """
    where = f"recipe {row.code} v{row.version}"
    actual = hashlib.sha256(row.body.encode("utf-8")).hexdigest()
    if actual != row.content_hash:
        raise StoreError(
            f"stored {where} does not match its content hash; the row was altered",
            {"id": row.id, "expected": row.content_hash, "actual": actual},
        )
    try:
        recipe = Recipe.model_validate_json(row.body)
    except ValidationError as exc:
        raise StoreError(f"stored {where} is not a valid recipe", {"id": row.id}) from exc
    if (recipe.code, recipe.version) != (row.code, row.version):
        raise StoreError(f"stored {where} holds recipe {recipe.code} v{recipe.version}")
    return recipe
