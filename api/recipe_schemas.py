"""What the recipe routes accept and return: drafts, each version with its state and signatures,
the signed transitions of its life, and diffs."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, Field, field_validator

from api.schemas import Comment, RecordView, SignatureBody, SignedWithComment, Text
from ebr.domain.meanings import Meaning
from ebr.domain.recipe import Recipe
from ebr.domain.recipe_versions import RecipeSignature, RecipeState

__all__ = [
    "RECIPE_ACTIONS",
    "RecipeApproval",
    "RecipeDetail",
    "RecipeReturn",
    "RecipeReview",
    "RecipeRetirement",
    "RecipeSignedResult",
    "RecipeSubmission",
    "RecipeSummary",
    "RecipeUpload",
]


class RecipeUpload(BaseModel):
    source: str = Field(min_length=1, description="The recipe as YAML (or JSON) text")


class RecipeSummary(BaseModel):
    """A recipe version: its latest content, who wrote it, and where it stands now."""

    code: str
    version: int
    revision: int
    name: str
    product_code: str
    product_name: str
    content_hash: str
    step_count: int
    loaded_by: str
    loaded_at: datetime
    state: RecipeState
    author: str
    effective_from: datetime | None = None
    superseded_at: datetime | None = None


class RecipeDetail(RecipeSummary):
    recipe: Recipe
    source: str
    signatures: list[RecipeSignature]


class RecipeSubmission(BaseModel):
    """The author's signature sending the draft for review (meaning ``authored``)."""

    meaning: ClassVar[Meaning] = Meaning.AUTHORED

    comment: Comment = None
    signature: SignatureBody


class RecipeReview(SignedWithComment):
    """A supervisor's or QA's review of the version submitted (meaning ``reviewed``)."""

    meaning: ClassVar[Meaning] = Meaning.REVIEWED


class RecipeReturn(BaseModel):
    """Sent back to draft, with comments for its author (meaning ``rejected``)."""

    meaning: ClassVar[Meaning] = Meaning.REJECTED

    reason: Text
    signature: SignatureBody


class RecipeApproval(BaseModel):
    """QA's approval (meaning ``approved``), effective from ``effective_from`` (now if absent)."""

    meaning: ClassVar[Meaning] = Meaning.APPROVED

    effective_from: datetime | None = None
    comment: Comment = None
    signature: SignatureBody

    @field_validator("effective_from")
    @classmethod
    def _zoned(cls, moment: datetime | None) -> datetime | None:
        if moment is not None and moment.tzinfo is None:
            raise ValueError("give the time zone (for instance 2026-12-01T06:00:00+01:00)")
        return moment

    def detail(self) -> dict[str, Any] | None:
        if self.effective_from is None:
            return None
        return {"effective_from": self.effective_from.isoformat()}


class RecipeRetirement(BaseModel):
    """QA retires the version, with a reason (meaning ``retired``)."""

    meaning: ClassVar[Meaning] = Meaning.RETIRED

    reason: Text
    signature: SignatureBody


RECIPE_ACTIONS: dict[str, type[BaseModel]] = {
    "submit": RecipeSubmission,
    "review": RecipeReview,
    "return": RecipeReturn,
    "approve": RecipeApproval,
    "retire": RecipeRetirement,
}
"""Each signed transition of a version's life, by the action's name in its route."""


class RecipeSignedResult(BaseModel):
    """A transition as signed and recorded, and the version as it stands after it."""

    record: RecordView
    version: RecipeSummary
