"""The inputs and results of BatchWorkflow and its activities: what crosses the Temporal boundary.

All are pydantic models carried by Temporal's pydantic data converter, so the domain's own models
travel as they are, typed, and never as store rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ebr.domain.batch import Actor, BatchHeader, BatchStatus, StepProgress
from ebr.domain.deviations import Deviation
from ebr.domain.holds import Hold
from ebr.domain.recipe import Recipe
from ebr.domain.redlines import Redline
from ebr.domain.review import ReviewException, ReviewMark
from ebr.domain.signed_records import RecordPayload, SignedRecord
from ebr.domain.timing import TimerBreach
from workflows.batch_state import BatchWorkflowState


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StartBatch(_Message):
    """Starts a batch, or resumes one after continue-as-new (``carried`` is then set).
    ``recipe`` is always the master recipe version; the redlines are in ``carried``."""

    header: BatchHeader
    recipe: Recipe
    # Everything the batch remembers, carried whole over continue-as-new.
    carried: BatchWorkflowState | None = None
    # Continue as new after this many updates in one run (Temporal caps updates per run).
    updates_per_run: int = Field(default=500, ge=2)
    # Where the batch was started from, for its audit entry.
    station: str = "unknown"


class Recorded(_Message):
    """What a signed record did to its batch: the record as stored, the batch's status and
    progress after it, and what it changed (a step's progress; a deviation closed; a hold
    lifted; the steps a rework opened again; a redline proposed or decided)."""

    record: SignedRecord
    batch_status: BatchStatus
    steps_done: int
    steps_total: int
    progress: StepProgress | None = None
    deviation: Deviation | None = None
    hold: Hold | None = None
    reopened: tuple[str, ...] = ()
    redline: Redline | None = None


class BatchOutcome(_Message):
    batch_id: str
    status: BatchStatus
    completed_at: datetime | None
    # The SHA-256 of the final report issued at release or rejection (None before that existed,
    # or when it could not be issued).
    report_sha256: str | None = None


class CreateBatchInput(_Message):
    header: BatchHeader
    steps_total: int
    station: str = "unknown"


class CheckpointWritten(_Message):
    tree_size: int
    root_hash: str
    created: bool


class SignedAction(_Message):
    """A person's signed request: the payload they signed, its signature, and the values as
    entered (the workflow checks the signed values are what the recipe makes of them)."""

    actor: Actor
    payload: RecordPayload
    signature: str
    key_id: str
    entered: dict[str, Any] = Field(default_factory=dict)


class PersistSignedInput(_Message):
    payload: RecordPayload
    signature: str
    key_id: str
    status: BatchStatus
    steps_done: int
    completed_at: datetime | None
    # The batch's steps once the record is in, when it changes them (an approved redline).
    steps_total: int | None = None


class PersistChainRecordInput(_Message):
    """A signed record of a chain other than a batch's, to store as it was signed."""

    payload: RecordPayload
    signature: str
    key_id: str


class SignedStored(_Message):
    record_hash: str


class PlaceHoldInput(_Message):
    """A supervisor's or QA's request to put the batch on hold, with the reason."""

    actor: Actor
    reason: str = Field(max_length=4000)


class HoldChanged(_Message):
    """A hold as placed or lifted, and the batch's status after it."""

    hold: Hold
    batch_status: BatchStatus


class PersistHoldInput(_Message):
    """A hold placed or lifted: its audit entry and the batch's status, in one transaction."""

    hold: Hold
    action: str  # "hold_placed" or "hold_lifted"
    status: BatchStatus
    actor: Actor
    at: datetime


class OpenDeviationInput(_Message):
    """Anyone's report of a deviation, by hand: a description, and the step it concerns if any."""

    actor: Actor
    description: str = Field(max_length=4000)
    step_id: str | None = None


class DeviationStart(_Message):
    """Starts a deviation's child workflow (workflow id = deviation id)."""

    deviation: Deviation
    recipe: Recipe
    batch_workflow_id: str


class InvestigateInput(_Message):
    actor: Actor
    root_cause: str = Field(max_length=4000)
    impact: str = Field(max_length=4000)
    affected_steps: tuple[str, ...] = ()


class CapaInput(_Message):
    actor: Actor
    capa_ref: str = Field(max_length=200)


class DeviationChanged(_Message):
    """A deviation's new version: an update's answer, and the child's signal to its batch.

    ``change`` numbers the deviation workflow's changes, so the batch can say which one it has
    applied (``DeviationApplied``); ``batch_status`` is the batch's status once it has."""

    deviation: Deviation
    change: int = 0
    batch_status: BatchStatus | None = None


class DeviationApplied(_Message):
    """The batch's answer to its deviation's change: applied (holds placed or lifted, stored),
    and the batch's status after it."""

    change: int
    batch_status: BatchStatus


class PersistDeviationInput(_Message):
    """A deviation's new version, audited (entity ``deviation``) under the action that made it."""

    deviation: Deviation
    action: str  # deviation_opened, deviation_investigated, deviation_classified, ...
    actor_id: str
    station: str
    at: datetime
    reason: str | None = None


class MarkReviewedInput(_Message):
    """QA's mark that one exception of the review was looked at."""

    actor: Actor
    exception_id: str
    comment: str | None = Field(default=None, max_length=4000)


class ReviewMarked(_Message):
    mark: ReviewMark
    exception: ReviewException
    unreviewed: int


class PersistReviewMarkInput(_Message):
    batch_id: str
    mark: ReviewMark
    exception: ReviewException
    station: str


class PersistBreachInput(_Message):
    batch_id: str
    breach: TimerBreach


class IssueReportInput(_Message):
    """Render, sign and store a batch's report: the final one once (at release or rejection), or
    a watermarked draft on request."""

    batch_id: str
    final: bool = True
    requested_by: str = "ebr"


class ReportIssued(_Message):
    report_id: str
    sha256: str
    pages: int
    created: bool
