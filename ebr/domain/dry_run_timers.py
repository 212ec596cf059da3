"""The recipe dry run's timers: each deadline of the recipe as ``timing.deadlines`` runs it over
the in-limit run (when it fell due, when its step was completed, whether it was breached), and
the run's times in minutes from the batch's start."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

from ebr.domain.batch import BatchState
from ebr.domain.recipe import Recipe
from ebr.domain.timing import TimerKind, step_started_at

__all__ = ["Timer", "minutes_between", "minutes_since", "timer_words", "timers_of"]


class Timer(BaseModel):
    """A deadline of the recipe and, in the in-limit run, when it fell due (minutes from the
    batch's start; None when its clock never started), when its step was completed, and whether
    it was breached (its step was not completed before it fell due)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timer_id: str
    kind: TimerKind
    step_id: str
    minutes: int
    after_step: str | None
    due_minute: float | None
    completed_minute: float | None
    breached: bool


def timers_of(
    recipe: Recipe,
    batch: BatchState,
    *,
    start: datetime,
    ended_at: datetime,
    breached: Sequence[str] = (),
) -> list[Timer]:
    """Each deadline as ``timing.deadlines`` runs it, over the whole in-limit run: breached when
    its workflow found it so, or when its step was not completed before it fell due (a timer
    still due when the run stopped early)."""
    found: list[Timer] = []
    for step in recipe.steps():
        progress = batch.progress(step.id)
        completed = progress.performed_at if progress else None
        execution = progress.execution if progress else 1
        clocks: list[tuple[TimerKind, int, str | None, datetime | None]] = []
        if step.max_duration_minutes is not None:
            started = step_started_at(batch, step.id, not_before=start)
            clocks.append((TimerKind.MAX_DURATION, step.max_duration_minutes, None, started))
        if step.complete_within is not None:
            before = batch.progress(step.complete_within.after)
            anchor = before.performed_at if before else None
            clocks.append(
                (
                    TimerKind.MAX_HOLD,
                    step.complete_within.minutes,
                    step.complete_within.after,
                    anchor,
                )
            )
        for kind, minutes, after, since in clocks:
            due = since + timedelta(minutes=minutes) if since is not None else None
            timer_id = f"{kind.value}:{step.id}:{execution}"
            late = due is not None and (completed or ended_at) >= due
            found.append(
                Timer(
                    timer_id=timer_id,
                    kind=kind,
                    step_id=step.id,
                    minutes=minutes,
                    after_step=after,
                    due_minute=minutes_since(start, due),
                    completed_minute=minutes_since(start, completed),
                    breached=late or timer_id in breached,
                )
            )
    return found


def timer_words(timer: Timer) -> str:
    if timer.kind is TimerKind.MAX_DURATION:
        return f"the maximum duration of {timer.minutes} minutes of step {timer.step_id!r}"
    return (
        f"the {timer.minutes} minutes within which step {timer.step_id!r} must follow "
        f"{timer.after_step!r}"
    )


def minutes_since(start: datetime, moment: datetime | None) -> float | None:
    return None if moment is None else minutes_between(moment - start)


def minutes_between(delta: timedelta) -> float:
    return round(delta.total_seconds() / 60, 2)
