"""The inputs and results of BatchWorkflow and its activities: what crosses the Temporal boundary.

All are pydantic models carried by Temporal's pydantic data converter, so the domain's own models
travel as they are, typed, and never as store rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ebr.domain.batch import Actor, BatchHeader, BatchState, BatchStatus, StepProgress
from ebr.domain.holds import Hold
from ebr.domain.recipe import Recipe
from ebr.domain.records import StepRecord
from ebr.domain.signed import RecordPayload


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StartBatch(_Message):
    """Starts a batch, or resumes one after continue-as-new (``carried`` is then set)."""

    header: BatchHeader
    recipe: Recipe
    carried: BatchState | None = None
    last_seq: int = 0
    # Continue as new after this many updates in one run (Temporal caps updates per run).
    updates_per_run: int = Field(default=500, ge=2)
    # Every record must be an electronic signature (the ``sign`` update). False only in batches
    # started before signatures existed, whose histories must still replay.
    signatures_required: bool = False
    # Where the batch was started from, for its audit entry.
    station: str = "unknown"
    # The batch's holds, active and lifted, carried over continue-as-new.
    holds: tuple[Hold, ...] = ()


class CompleteStepInput(_Message):
    step_id: str
    actor: Actor
    values: dict[str, Any] = Field(default_factory=dict)
    comment: str | None = Field(default=None, max_length=4000)


class VerifyStepInput(_Message):
    step_id: str
    actor: Actor
    comment: str | None = Field(default=None, max_length=4000)


class StepRecorded(_Message):
    """What an accepted step action produced: the record as stored and the step's new progress."""

    record: StepRecord
    progress: StepProgress
    batch_status: BatchStatus
    steps_done: int
    steps_total: int


class BatchOutcome(_Message):
    batch_id: str
    status: BatchStatus
    completed_at: datetime | None


class CreateBatchInput(_Message):
    header: BatchHeader
    steps_total: int
    station: str = "unknown"


class PersistRecordInput(_Message):
    """A record to store, with the batch's projected progress written in the same transaction."""

    record: StepRecord
    status: BatchStatus
    steps_done: int
    completed_at: datetime | None


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


class SignedStored(_Message):
    record_hash: str


class PlaceHoldInput(_Message):
    """A supervisor's or QA's request to put the batch on hold, with the reason."""

    actor: Actor
    reason: str = Field(max_length=4000)


class LiftHoldInput(_Message):
    """QA's request to lift a hold (``hold_id``, or the earliest active one), with the reason."""

    actor: Actor
    reason: str = Field(max_length=4000)
    hold_id: str | None = None


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
