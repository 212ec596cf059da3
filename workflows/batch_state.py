"""Everything a batch workflow remembers, in one model carried whole by continue-as-new.

The parts of ``BatchWorkflow`` each own a slice: ``batch`` (the execution: status, each step's
progress, the chain head) and ``last_seq`` belong to the signed records; ``holds`` to the holds;
``deviations`` to the deviations; ``breaches`` and ``not_before`` to the timers;
``record_exceptions``, ``executors`` and ``marks`` to the review; ``redlines`` to the redlines. Nothing here is what the record
store holds better: the store keeps the records, this keeps what the rules need to decide.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from ebr.domain.batch import BatchHeader, BatchState
from ebr.domain.deviations import Deviation
from ebr.domain.holds import Hold
from ebr.domain.recipe import Recipe
from ebr.domain.redlines import Redline
from ebr.domain.review import ReviewException, ReviewMark
from ebr.domain.timing import TimerBreach

__all__ = ["BatchWorkflowState"]


class BatchWorkflowState(BaseModel):
    """One batch's memory. Mutable: the workflow is its only writer."""

    batch: BatchState
    # The batch's row (and its creation's audit entry) is in the record store.
    created: bool = False
    # The seq of the last signed record taken (a record being stored has taken its number).
    last_seq: int = 0
    holds: list[Hold] = Field(default_factory=list)
    # The batch's copy of each deviation, as its deviation workflow last told it.
    deviations: list[Deviation] = Field(default_factory=list)
    breaches: list[TimerBreach] = Field(default_factory=list)
    # The exceptions the batch's records raised, and everyone who performed or verified a step
    # in any execution (segregation of duties at release).
    record_exceptions: list[ReviewException] = Field(default_factory=list)
    executors: list[str] = Field(default_factory=list)
    marks: list[ReviewMark] = Field(default_factory=list)
    # Every redline proposed, in the order proposed; the approved ones, applied to the master in
    # the order approved, make the recipe the batch runs (``BatchContext.recipe``).
    redlines: list[Redline] = Field(default_factory=list)
    # When the steps' clocks last started: the batch's start, or the latest rework.
    not_before: datetime

    @classmethod
    def start(cls, header: BatchHeader, recipe: Recipe) -> BatchWorkflowState:
        return cls(batch=BatchState.start(header, recipe), not_before=header.created_at)
