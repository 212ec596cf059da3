"""The inputs and results of RecipeWorkflow and its activities: what crosses the Temporal boundary
for master recipes under change control."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ebr.domain.batch import Actor
from ebr.domain.recipe import Recipe
from ebr.domain.recipe_versions import RecipeVersion
from ebr.domain.signed_records import GENESIS, SignedRecord

__all__ = [
    "ChainHead",
    "DraftSaved",
    "RecipeSigned",
    "RecipeVersionsLoaded",
    "RecipeWorkflowState",
    "RevisionSaved",
    "SaveDraftInput",
    "SaveRevisionInput",
    "StartRecipe",
    "recipe_workflow_id",
]

SOURCE_LIMIT = 1_000_000
"""The most characters of recipe text kept with a revision (the parser refuses larger first)."""


def recipe_workflow_id(code: str) -> str:
    """One workflow per recipe code: it keeps every version's life."""
    return f"recipe-{code}"


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ChainHead(_Message):
    """Where a recipe version's chain stands: its last seq and that record's hash."""

    seq: int = 0
    hash: str = GENESIS


class RecipeWorkflowState(BaseModel):
    """Everything a recipe code's workflow remembers, carried whole by continue-as-new."""

    code: str
    loaded: bool = False
    versions: dict[int, RecipeVersion] = Field(default_factory=dict)
    heads: dict[int, ChainHead] = Field(default_factory=dict)


class StartRecipe(_Message):
    code: str
    carried: RecipeWorkflowState | None = None
    updates_per_run: int = Field(default=200, ge=2)


class SaveDraftInput(_Message):
    """An author's draft of a version: the recipe as parsed, and its text as written."""

    actor: Actor
    recipe: Recipe
    source: str = Field(max_length=SOURCE_LIMIT)


class SaveRevisionInput(_Message):
    recipe: Recipe
    source: str = Field(max_length=SOURCE_LIMIT)
    actor: Actor
    at: datetime


class RevisionSaved(_Message):
    revision: int
    content_hash: str
    created: bool


class DraftSaved(_Message):
    """A draft as saved: the version as it stands, and the revision its content is."""

    version: RecipeVersion
    revision: int
    created: bool


class RecipeSigned(_Message):
    """A signature on a recipe version as recorded, and the version as it stands after it."""

    record: SignedRecord
    version: RecipeVersion


class RecipeVersionsLoaded(_Message):
    """A recipe code's versions and chain heads as the store holds them."""

    versions: tuple[RecipeVersion, ...] = ()
    heads: dict[int, ChainHead] = Field(default_factory=dict)
