"""What the redline routes accept and return: a supervisor's signed proposal, QA's signed approval
or rejection, and a redline as the pages and clients read it (each changed step in the master's
version and the batch's).

The changes are ``ebr.domain.redline_changes``'s own models, so a proposal the API takes is one
the workflow can parse, in the same words.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from api.schemas import Comment, SignatureBody, Text
from ebr.domain.meanings import Meaning
from ebr.domain.recipe import Step
from ebr.domain.redline_changes import MAX_CHANGES, Change, RedlineContent
from ebr.domain.redlines import DecisionDetail, RedlineStatus

__all__ = [
    "RedlineApproval",
    "RedlineProposal",
    "RedlineRejection",
    "RedlineView",
    "StepVersions",
]

HASH = r"^[0-9a-f]{64}$"


class RedlineProposal(BaseModel):
    """A supervisor's changes to steps not yet started, with the reason, signed (meaning
    ``proposed``); QA's approval applies them from the batch's next step on."""

    meaning: ClassVar[Meaning] = Meaning.PROPOSED

    changes: list[Change] = Field(min_length=1, max_length=MAX_CHANGES)
    reason: Text
    signature: SignatureBody

    def detail(self) -> dict[str, Any]:
        """What the signed record carries beside the reason: the changes, every field spelled
        out (``RedlineContent.detail``)."""
        return RedlineContent(changes=tuple(self.changes)).detail()


class RedlineApproval(BaseModel):
    """QA's signed approval (meaning ``approved``) of the redline whose content it names (the
    ``content_hash`` a redline is read with): never the proposer's own."""

    meaning: ClassVar[Meaning] = Meaning.APPROVED

    content_hash: str = Field(pattern=HASH)
    reason: Comment = None
    comment: Comment = None
    signature: SignatureBody

    def detail(self) -> dict[str, Any]:
        return DecisionDetail(content_hash=self.content_hash).detail()


class RedlineRejection(BaseModel):
    """QA's signed rejection (meaning ``rejected``) of a redline, with the reason."""

    meaning: ClassVar[Meaning] = Meaning.REJECTED

    content_hash: str = Field(pattern=HASH)
    reason: Text
    comment: Comment = None
    signature: SignatureBody

    def detail(self) -> dict[str, Any]:
        return DecisionDetail(content_hash=self.content_hash).detail()


class StepVersions(BaseModel):
    """One step a redline adds or changes: the master's version (None: the redline added it),
    the batch's (as it runs it now; None: not in it) and, while the redline awaits QA, the
    version it would make if approved now (None: it no longer applies)."""

    step_id: str
    master: Step | None
    batch: Step | None
    proposed: Step | None = None


class RedlineView(BaseModel):
    """One redline of a batch: its changes (typed, and in words), who proposed it, when and why,
    QA's decision, and each step it touches in its versions."""

    redline_id: str
    status: RedlineStatus
    changes: list[Change]
    summary: list[str]
    content_hash: str
    reason: str
    proposed_by: str
    proposed_by_name: str
    proposed_at: datetime
    decided_by: str | None = None
    decided_by_name: str | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None
    steps: list[StepVersions]
