"""What the review routes accept and return: marks, release, rejection, a signed decision.

A signed decision as recorded is also what a disposition and a hold's lift answer with.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from api.schemas import Comment, RecordView, SignatureBody, SignedWithComment, Text
from ebr.domain.batch import BatchStatus
from ebr.domain.deviations import Deviation
from ebr.domain.holds import Hold
from ebr.domain.meanings import Meaning
from ebr.domain.redlines import Redline
from ebr.domain.review import ExceptionKind, ReviewException, ReviewMark


class BatchRejection(BaseModel):
    """QA's signed rejection (meaning ``rejected``), with its reason."""

    meaning: ClassVar[Meaning] = Meaning.REJECTED

    reason: Text
    comment: Comment = None
    signature: SignatureBody


class BatchRelease(SignedWithComment):
    """QA's signed release (meaning ``released``)."""

    meaning: ClassVar[Meaning] = Meaning.RELEASED


class DecisionResult(BaseModel):
    """A signed decision as recorded, and what it changed."""

    record: RecordView
    batch_status: BatchStatus
    deviation: Deviation | None = None
    hold: Hold | None = None
    reopened: list[str] = Field(default_factory=list)
    redline: Redline | None = None


class ReviewMarking(BaseModel):
    comment: Comment = None


class ReviewItem(BaseModel):
    """One exception of the batch's record, and whether (by whom, when) QA reviewed it."""

    id: str
    kind: ExceptionKind
    at: datetime
    summary: str
    step_id: str | None
    execution: int | None
    reviewed: bool
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    review_comment: str | None = None


class ReviewView(BaseModel):
    """Review by exception: only what QA must look at, and what still stands before release."""

    batch_id: str
    status: BatchStatus
    none: bool
    message: str
    exceptions: list[ReviewItem]
    unreviewed: int
    release_blocked: list[dict[str, Any]]


class ReviewMarkResult(BaseModel):
    mark: ReviewMark
    exception: ReviewException
    unreviewed: int
