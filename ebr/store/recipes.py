"""The recipes table: every content saved for a recipe version (its revisions), as uploaded and as
canonical JSON, with its hash. Rows are only ever inserted (triggers refuse the rest, 0006).

Whether a version may still change, and which revision its signatures name, is its workflow's and
its chain's to say (``ebr.store.recipe_versions``); the table keeps every body ever saved."""

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
    "get_revision",
    "list_recipes",
    "recipe_of",
    "save_recipe",
]


class RecipeRow(SQLModel, table=True):
    """One saved content of a recipe version. ``body`` is what batches execute; ``source`` is
    kept for the reviewer; ``loaded_by`` saved it (the draft's author)."""

    __tablename__ = "recipes"
    __table_args__ = (
        UniqueConstraint("code", "version", "revision", name="uq_recipes_code_version_revision"),
        UniqueConstraint("code", "version", "content_hash", name="uq_recipes_code_version_content"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str
    version: int
    revision: int = 1
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
    """Keep a content of a recipe version; return ``(row, created)``.

    A content already saved for this version (same hash) returns its row, whoever saves it; other
    content becomes the version's next revision. Whether the version may still change is the
    caller's to decide (its workflow refuses a change after submission); evidence is never lost:
    every revision stays.
    """
    content_hash = recipe.content_hash()
    kept = _revision(session, recipe.code, recipe.version, content_hash)
    if kept is not None:
        return kept, False
    latest = get_recipe(session=session, code=recipe.code, version=recipe.version)
    row = RecipeRow(
        code=recipe.code,
        version=recipe.version,
        revision=(latest.revision + 1) if latest else 1,
        name=recipe.name,
        product_code=recipe.product.code,
        product_name=recipe.product.name,
        content_hash=content_hash,
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
        find=lambda: _revision(session, recipe.code, recipe.version, content_hash),
        differs=lambda existing, _: Conflict(
            f"{label} was saved by someone else meanwhile; save again",
            {"code": recipe.code, "version": recipe.version, "stored": existing.content_hash},
        ),
        collides=lambda: Conflict(
            f"{label} was saved by someone else meanwhile; save again",
            {"code": recipe.code, "version": recipe.version},
        ),
    )


def _revision(session: Session, code: str, version: int, content_hash: str) -> RecipeRow | None:
    query = select(RecipeRow).where(
        RecipeRow.code == code, RecipeRow.version == version, RecipeRow.content_hash == content_hash
    )
    return session.exec(query).first()


def get_recipe(*, session: Session, code: str, version: int) -> RecipeRow | None:
    """The version's latest revision (its draft, or what was last submitted)."""
    query = (
        select(RecipeRow)
        .where(RecipeRow.code == code, RecipeRow.version == version)
        .order_by(col(RecipeRow.revision).desc())
        .limit(1)
    )
    return session.exec(query).first()


def get_revision(
    *, session: Session, code: str, version: int, content_hash: str
) -> RecipeRow | None:
    """The version's revision of this content (what a signature names), if it was saved."""
    return _revision(session, code, version, content_hash)


def get_recipe_by_hash(*, session: Session, content_hash: str) -> RecipeRow | None:
    return session.exec(select(RecipeRow).where(RecipeRow.content_hash == content_hash)).first()


def list_recipes(*, session: Session, code: str | None = None) -> list[RecipeRow]:
    """Each recipe version's latest revision, ordered by code, then version; only those of
    ``code`` if it is given."""
    query = select(RecipeRow).order_by(
        col(RecipeRow.code), col(RecipeRow.version), col(RecipeRow.revision)
    )
    if code is not None:
        query = query.where(RecipeRow.code == code)
    latest: dict[tuple[str, int], RecipeRow] = {}
    for row in session.exec(query):
        latest[(row.code, row.version)] = row
    return list(latest.values())


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
