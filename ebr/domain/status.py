"""The batch status state machine: every transition as data, and the check that enforces it.

The table is the single source of the transitions; docs/batch-status.md draws it. Who may cause an
event, and what it needs, is checked by the ``check_*`` function of that action (holds, deviations,
release); this module only says which status an event may leave from and where it leads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from ebr.domain.batch import BatchState, BatchStatus, StepProgress, StepStatus
from ebr.domain.recipe import Recipe
from ebr.domain.refusals import ReworkInvalid, TransitionNotAllowed, UnknownStep
from ebr.domain.roles import Role

__all__ = [
    "TERMINAL",
    "TRANSITIONS",
    "BatchEvent",
    "Transition",
    "apply_reopen",
    "check_known_steps",
    "check_reopen",
    "check_transition",
    "resume_event",
]


class BatchEvent(StrEnum):
    HOLD = "hold"
    RESUME = "resume"
    RESUME_TO_REVIEW = "resume_to_review"
    FINISH = "finish"
    REOPEN = "reopen"
    RELEASE = "release"
    REJECT = "reject"
    CANCEL = "cancel"


@dataclass(frozen=True)
class Transition:
    """``event`` moves a batch from any of ``sources`` to ``target``.

    ``by`` is the roles that may cause it; empty means the batch's own rules (the workflow) do.
    """

    event: BatchEvent
    sources: frozenset[BatchStatus]
    target: BatchStatus
    by: frozenset[Role]
    needs: str


_S = BatchStatus
_ACTIVE = frozenset({_S.IN_PROGRESS, _S.ON_HOLD, _S.AWAITING_REVIEW})
_SUPERVISION = frozenset({Role.SUPERVISOR, Role.QA})
_QA = frozenset({Role.QA})

TERMINAL: frozenset[BatchStatus] = frozenset({_S.RELEASED, _S.REJECTED, _S.CANCELLED})
"""No event leaves these."""

TRANSITIONS: dict[BatchEvent, Transition] = {
    t.event: t
    for t in (
        Transition(
            BatchEvent.HOLD,
            _ACTIVE,
            _S.ON_HOLD,
            _SUPERVISION,
            "a reason; or, placed by the rules, a deviation that holds the batch",
        ),
        Transition(
            BatchEvent.RESUME,
            frozenset({_S.ON_HOLD}),
            _S.IN_PROGRESS,
            _QA,
            "the last active hold lifted (QA signature, or the deviation's disposition); "
            "steps remain to be done",
        ),
        Transition(
            BatchEvent.RESUME_TO_REVIEW,
            frozenset({_S.ON_HOLD}),
            _S.AWAITING_REVIEW,
            _QA,
            "the last active hold lifted; every step is done",
        ),
        Transition(
            BatchEvent.FINISH,
            frozenset({_S.IN_PROGRESS}),
            _S.AWAITING_REVIEW,
            frozenset(),
            "the last step done (completed, and verified if it asks for it)",
        ),
        Transition(
            BatchEvent.REOPEN,
            frozenset({_S.AWAITING_REVIEW}),
            _S.IN_PROGRESS,
            _QA,
            "a rework disposition that opens steps again",
        ),
        Transition(
            BatchEvent.RELEASE,
            frozenset({_S.AWAITING_REVIEW}),
            _S.RELEASED,
            _QA,
            "every step done, every deviation closed, every exception reviewed, and a releaser "
            "who neither performed nor verified a step",
        ),
        Transition(
            BatchEvent.REJECT,
            _ACTIVE,
            _S.REJECTED,
            _QA,
            "a reason; or a deviation dispositioned `reject`",
        ),
        Transition(
            BatchEvent.CANCEL,
            frozenset({_S.IN_PROGRESS, _S.ON_HOLD}),
            _S.CANCELLED,
            _SUPERVISION,
            "a reason; nothing done yet is released or rejected",
        ),
    )
}


def check_transition(current: BatchStatus, event: BatchEvent) -> BatchStatus:
    """Return the status ``event`` leads to from ``current``, or raise TransitionNotAllowed."""
    transition = TRANSITIONS[event]
    if current not in transition.sources:
        allowed = sorted(s.value for s in transition.sources)
        raise TransitionNotAllowed(
            f"a batch that is {current.value.replace('_', ' ')} cannot {event.value.replace('_', ' ')}",
            {"status": current.value, "event": event.value, "allowed_from": allowed},
        )
    return transition.target


def resume_event(*, all_done: bool) -> BatchEvent:
    """The event that ends the last active hold: back to work, or on to review if all is done."""
    return BatchEvent.RESUME_TO_REVIEW if all_done else BatchEvent.RESUME


def check_reopen(state: BatchState, recipe: Recipe, step_ids: Sequence[str]) -> None:
    """Steps may be opened again (by a rework) if named, known, and done or awaiting verification,
    in a batch not yet released, rejected or cancelled.
    """
    if not step_ids:
        raise ReworkInvalid("a rework must name the steps to redo", {"field": "rework_steps"})
    if state.status in TERMINAL:
        check_transition(state.status, BatchEvent.REOPEN)
    check_known_steps(recipe, step_ids)
    for step_id in step_ids:
        progress = state.progress(step_id)
        if progress is None or progress.status is StepStatus.PENDING:
            raise ReworkInvalid(
                f"step {step_id!r} is not done yet, so there is nothing to redo",
                {"field": "rework_steps", "step_id": step_id, "status": StepStatus.PENDING.value},
            )


def apply_reopen(state: BatchState, step_ids: Sequence[str]) -> list[StepProgress]:
    """Open the named steps again as new executions; return them.

    Each becomes ``pending`` with the next execution number and no performer or verifier, so its
    new records get new ids (``SignedRecord.make_id`` includes the execution) and the first
    execution's records stay. Steps not named keep their status. A batch awaiting review goes back
    to ``in_progress`` (event ``reopen``); a batch on hold stays on hold.
    """
    reopened = [p for p in state.steps if p.step_id in set(step_ids)]
    for progress in reopened:
        progress.execution += 1
        progress.status = StepStatus.PENDING
        progress.performed_by = progress.verified_by = progress.corrected = None
        progress.performed_at = progress.verified_at = progress.done_at = None
        progress.corrected_at = None
        progress.corrected_by = []
    if reopened and state.status is BatchStatus.AWAITING_REVIEW:
        state.status = check_transition(state.status, BatchEvent.REOPEN)
        state.completed_at = None
    return reopened


def check_known_steps(recipe: Recipe, step_ids: Sequence[str]) -> None:
    """Raise UnknownStep for the first id that is not a step of ``recipe``."""
    for step_id in step_ids:
        if recipe.step(step_id) is None:
            raise UnknownStep(
                f"recipe {recipe.code} v{recipe.version} has no step {step_id!r}",
                {"step_id": step_id},
            )
