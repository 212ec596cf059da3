"""Time constraints of steps: the earliest a step may be completed, and the deadlines to watch.

Definitions (docs/batch-status.md repeats them):

- A step is **completed** when its performer records it (``performed_at``); a verification that
  follows does not move that time.
- A step is **done** when it is completed and, if it needs one, verified (``verified_at``); its
  done time is the first in its execution (``StepProgress.done_at``): a correction that calls for
  a new verification does not stop the clocks of the steps after it.
- A step **starts** when it becomes the step to do: when every earlier step is done (the latest of
  their done times), or at ``not_before`` if that is later. ``not_before`` is the batch's start
  (``BatchHeader.created_at``), or the time of the latest rework, which opened steps again. So the
  first step starts at the batch start.
- Its **duration** runs from its start to its completion: ``min_duration_minutes`` refuses an
  earlier completion (``TooEarly``); ``max_duration_minutes`` is a deadline.
- ``complete_within: {after: A, minutes: N}`` is a deadline: the step is completed at most N
  minutes after step A was completed.

Holds do not stop these clocks: a granulate held for a day has still waited a day. A deadline
passed is a breach, which opens a deviation (``Deadline.description`` says what to write).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from ebr.domain.batch import BatchState, StepProgress, StepStatus
from ebr.domain.recipe import Recipe, Step
from ebr.domain.refusals import TooEarly

__all__ = [
    "Deadline",
    "TimerBreach",
    "TimerKind",
    "breach",
    "check_min_duration",
    "deadlines",
    "done_at",
    "earliest_completion",
    "step_started_at",
]


class TimerKind(StrEnum):
    MAX_DURATION = "max_duration"
    MAX_HOLD = "max_hold"


class Deadline(BaseModel):
    """A timer the workflow should have running; ``timer_id`` is stable for one execution."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timer_id: str
    kind: TimerKind
    step_id: str
    execution: int
    due_at: datetime
    minutes: int
    after_step: str | None = None
    description: str


class TimerBreach(BaseModel):
    """A deadline that passed with its step not completed: the workflow opens a deviation for it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    deadline: Deadline
    at: datetime


def done_at(progress: StepProgress) -> datetime | None:
    """When the step first became done in its execution: its verification if it had one, else
    its completion. A step corrected after it was done, now awaiting a new verification, keeps
    that time: the clocks of the steps after it started then, and keep running."""
    if progress.done_at is not None:
        return progress.done_at
    if progress.status is not StepStatus.DONE:
        return None
    return progress.verified_at or progress.performed_at


def step_started_at(state: BatchState, step_id: str, *, not_before: datetime) -> datetime | None:
    """When ``step_id`` started (see the module's definitions), or None while an earlier step is
    not done."""
    start = not_before
    for progress in state.steps:
        if progress.step_id == step_id:
            return start
        finished = done_at(progress)
        if finished is None:
            return None
        start = max(start, finished)
    return None


def earliest_completion(step: Step, started_at: datetime) -> datetime | None:
    """The first moment ``step`` may be completed, or None if it has no minimum duration."""
    if step.min_duration_minutes is None:
        return None
    return started_at + timedelta(minutes=step.min_duration_minutes)


def check_min_duration(step: Step, *, started_at: datetime | None, at: datetime) -> None:
    """Refuse a completion at ``at`` before the step's minimum duration, with the time left."""
    earliest = None if started_at is None else earliest_completion(step, started_at)
    if earliest is None or at >= earliest:
        return
    left = math.ceil((earliest - at).total_seconds())
    raise TooEarly(
        f"step {step.id!r} lasts at least {step.min_duration_minutes} minutes: it can be "
        f"completed in {_spoken(left)}, at {earliest.isoformat()}",
        {
            "step_id": step.id,
            "min_duration_minutes": step.min_duration_minutes,
            "started_at": started_at.isoformat() if started_at else None,
            "earliest_at": earliest.isoformat(),
            "seconds_left": left,
        },
    )


def deadlines(recipe: Recipe, state: BatchState, *, not_before: datetime) -> list[Deadline]:
    """Every deadline running now: one per constraint of a step not yet completed whose clock
    has started. The workflow keeps a timer per ``timer_id`` listed, cancels those no longer
    listed (their step was completed), and on firing asks ``breach``.
    """
    found: list[Deadline] = []
    for step in recipe.steps():
        if step.max_duration_minutes is None and step.complete_within is None:
            continue
        progress = state.progress(step.id)
        if progress is None or progress.status is not StepStatus.PENDING:
            continue
        started = (
            None
            if step.max_duration_minutes is None
            else step_started_at(state, step.id, not_before=not_before)
        )
        if step.max_duration_minutes is not None and started is not None:
            n = step.max_duration_minutes
            due = started + timedelta(minutes=n)
            text = (
                f"step {step.id!r} was not completed within its maximum duration of {n} minutes "
                f"(started {started.isoformat()}, due {due.isoformat()})"
            )
            found.append(_deadline(TimerKind.MAX_DURATION, progress, due, n, None, text))
        within = step.complete_within
        before = state.progress(within.after) if within else None
        if within and before and before.performed_at and before.status is not StepStatus.PENDING:
            due = before.performed_at + timedelta(minutes=within.minutes)
            text = (
                f"step {step.id!r} was not completed within {within.minutes} minutes of step "
                f"{within.after!r} (completed {before.performed_at.isoformat()}, due "
                f"{due.isoformat()})"
            )
            found.append(
                _deadline(TimerKind.MAX_HOLD, progress, due, within.minutes, within.after, text)
            )
    return found


def breach(deadline: Deadline, state: BatchState, *, at: datetime) -> TimerBreach | None:
    """The breach of ``deadline`` at ``at``, or None: it is not due, or its step (in the same
    execution) has been completed since. Call it when the timer fires, and before recording a
    completion, so a completion racing its timer is caught too.
    """
    progress = state.progress(deadline.step_id)
    if at < deadline.due_at or progress is None or progress.execution != deadline.execution:
        return None
    if progress.status is not StepStatus.PENDING:
        return None
    return TimerBreach(deadline=deadline, at=at)


def _deadline(
    kind: TimerKind,
    progress: StepProgress,
    due: datetime,
    minutes: int,
    after: str | None,
    text: str,
) -> Deadline:
    return Deadline(
        timer_id=f"{kind.value}:{progress.step_id}:{progress.execution}",
        kind=kind,
        step_id=progress.step_id,
        execution=progress.execution,
        due_at=due,
        minutes=minutes,
        after_step=after,
        description=text,
    )


def _spoken(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    if not minutes:
        return f"{rest} s"
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"
