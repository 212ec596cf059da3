"""The rules of executing a batch: who may do which step, in what order, with which values.

Each ``check_*`` function raises a Refusal when the action is not allowed and changes nothing;
each ``apply_*`` function records an action already checked. The workflow calls the first from its
update validators (so a refused request writes nothing) and the second from its handlers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from ebr.domain.batch import Actor, BatchState, BatchStatus, StepProgress, StepStatus
from ebr.domain.holds import Hold, check_not_on_hold
from ebr.domain.recipe import Recipe, Step
from ebr.domain.refusals import (
    BatchNotActive,
    CommentRequired,
    NotAwaitingVerification,
    NothingToCorrect,
    ReasonRequired,
    RoleNotAllowed,
    SameUserVerification,
    StepAlreadyDone,
    StepInProgress,
    StepOutOfOrder,
    UnknownStep,
    VerificationNotRequired,
    VerifierCorrected,
)
from ebr.domain.roles import Role
from ebr.domain.step_verification import needs_verification
from ebr.domain.values import RecordedValue, validate_values

# A second person may verify a step if they hold the step's own role or one of these.
VERIFYING_ROLES: frozenset[Role] = frozenset({Role.SUPERVISOR, Role.QA})

# ...except that a verifier is never junior to the step: QA's own steps are verified only by QA.
_VERIFIERS: dict[Role, frozenset[Role]] = {
    Role.OPERATOR: VERIFYING_ROLES | {Role.OPERATOR},
    Role.SUPERVISOR: VERIFYING_ROLES,
    Role.QA: frozenset({Role.QA}),
}


def verifiers_of(step_role: Role) -> frozenset[Role]:
    """The roles that may verify a step performed under ``step_role``."""
    return _VERIFIERS[step_role]


def check_complete(
    state: BatchState,
    recipe: Recipe,
    *,
    step_id: str,
    actor: Actor,
    values: dict[str, Any],
    busy: frozenset[str] = frozenset(),
    hold: Hold | None = None,
) -> tuple[RecordedValue, ...]:
    """Check that ``actor`` may complete ``step_id`` now with ``values``; return them typed.

    ``hold`` is the batch's active hold, if any (``holds.active_hold``): it refuses the step with
    ``batch_on_hold`` and the hold's reason, before any other rule but an unknown step.
    """
    step, progress = _find(state, recipe, step_id)
    check_not_on_hold(hold)
    _require_active(state)
    if step_id in busy:
        raise StepInProgress(f"step {step_id!r} is being recorded by another request")
    if progress.status is not StepStatus.PENDING:
        raise StepAlreadyDone(
            f"step {step_id!r} was already completed by {progress.performed_by}",
            {"step_id": step_id, "performed_by": progress.performed_by},
        )
    _require_current(state, step_id)
    if step.role not in actor.roles:
        raise RoleNotAllowed(
            f"step {step_id!r} must be performed by a user with the role {step.role.value!r}",
            {"step_id": step_id, "required_role": step.role.value},
        )
    return validate_values(step, values)


def apply_complete(
    state: BatchState, recipe: Recipe, *, step_id: str, actor: Actor, at: datetime
) -> StepProgress:
    step, progress = _find(state, recipe, step_id)
    progress.performed_by = actor.user_id
    progress.performed_at = at
    if needs_verification(step):
        progress.status = StepStatus.AWAITING_VERIFICATION
    else:
        progress.status, progress.done_at = StepStatus.DONE, at
    _finish_if_done(state, at)
    return progress


def check_verify(
    state: BatchState,
    recipe: Recipe,
    *,
    step_id: str,
    actor: Actor,
    busy: frozenset[str] = frozenset(),
) -> None:
    """Check that ``actor`` may verify ``step_id`` now: a second, qualified person, who entered
    none of its values in this execution (neither performed nor corrected it)."""
    step, progress = _find(state, recipe, step_id)
    _require_active(state)
    if not needs_verification(step):
        raise VerificationNotRequired(f"step {step_id!r} does not call for a second verification")
    if step_id in busy:
        raise StepInProgress(f"step {step_id!r} is being recorded by another request")
    if progress.status is not StepStatus.AWAITING_VERIFICATION:
        reason = "is already verified" if progress.status is StepStatus.DONE else "is not done yet"
        raise NotAwaitingVerification(f"step {step_id!r} {reason}", {"step_id": step_id})
    if progress.performed_by == actor.user_id:
        raise SameUserVerification(
            f"step {step_id!r} was performed by {actor.user_id}; a different person must verify it",
            {"step_id": step_id},
        )
    if actor.user_id in progress.corrected_by:
        raise VerifierCorrected(
            f"step {step_id!r} was corrected by {actor.user_id}; a person who entered none of its "
            f"values (not {', '.join([progress.performed_by or '-', *progress.corrected_by])}) "
            "must verify it",
            {"step_id": step_id, "corrected_by": list(progress.corrected_by)},
        )
    allowed = verifiers_of(step.role)
    if not allowed & set(actor.roles):
        names = ", ".join(sorted(r.value for r in allowed))
        raise RoleNotAllowed(
            f"verifying step {step_id!r} needs one of the roles: {names}",
            {"step_id": step_id, "allowed_roles": sorted(r.value for r in allowed)},
        )


def apply_verify(
    state: BatchState, recipe: Recipe, *, step_id: str, actor: Actor, at: datetime
) -> StepProgress:
    _, progress = _find(state, recipe, step_id)
    progress.verified_by = actor.user_id
    progress.verified_at = at
    progress.status = StepStatus.DONE
    progress.done_at = progress.done_at or at
    _finish_if_done(state, at)
    return progress


def apply_correct(
    state: BatchState, recipe: Recipe, *, step_id: str, actor: Actor, record_id: str, at: datetime
) -> StepProgress:
    """Record an already checked correction. A step that needs verification
    (``step_verification.needs_verification``) awaits it again: the verification it had stood on
    values it never saw. Its verifier is then someone who entered none of its values."""
    step, progress = _find(state, recipe, step_id)
    if not needs_verification(step):
        return progress
    progress.corrected, progress.corrected_at = record_id, at
    if actor.user_id not in progress.corrected_by:
        progress.corrected_by.append(actor.user_id)
    if progress.status is StepStatus.DONE:
        progress.status = StepStatus.AWAITING_VERIFICATION
        progress.verified_by = progress.verified_at = None
    return progress


def check_correct(
    state: BatchState,
    recipe: Recipe,
    *,
    step_id: str,
    actor: Actor,
    values: dict[str, Any],
    reason: str | None,
    busy: frozenset[str] = frozenset(),
) -> tuple[RecordedValue, ...]:
    """Check that ``actor`` may correct the values recorded for ``step_id``; return them typed.

    A correction never replaces the original: it is a new record, with a reason, pointing at it.
    The performer may correct their own entry; otherwise a supervisor or QA must. A step that
    needs verification awaits it again once corrected (``apply_correct``).
    """
    step, progress = _find(state, recipe, step_id)
    _require_active(state)
    if step_id in busy:
        raise StepInProgress(f"step {step_id!r} is being recorded by another request")
    if progress.status is StepStatus.PENDING or progress.performed_by is None:
        raise NothingToCorrect(
            f"step {step_id!r} has no recorded values to correct yet", {"step_id": step_id}
        )
    if not (reason or "").strip():
        raise ReasonRequired("a correction needs a reason", {"field": "reason"})
    if actor.user_id != progress.performed_by and not VERIFYING_ROLES & set(actor.roles):
        raise RoleNotAllowed(
            f"only {progress.performed_by}, a supervisor or QA may correct step {step_id!r}",
            {"step_id": step_id, "allowed_roles": sorted(r.value for r in VERIFYING_ROLES)},
        )
    if not step.inputs:
        raise NothingToCorrect(f"step {step_id!r} records no values", {"step_id": step_id})
    return validate_values(step, values)


def out_of_limit_policy(values: Sequence[RecordedValue], comment: str | None) -> tuple[bool, bool]:
    """``(needs_deviation, needs_hold)`` for a step's checked values.

    Any value out of specification opens a deviation, and is recorded only with the person's
    comment (``CommentRequired`` otherwise); one on a critical parameter also holds the batch.
    """
    out = [v for v in values if v.in_spec is False]
    if out and not (comment or "").strip():
        names = [v.name for v in out]
        raise CommentRequired(
            f"a comment is required, these values are out of limits: {', '.join(names)}",
            {"field": "comment", "out_of_limit": names},
        )
    return bool(out), any(v.critical for v in out)


def _find(state: BatchState, recipe: Recipe, step_id: str) -> tuple[Step, StepProgress]:
    step = recipe.step(step_id)
    progress = state.progress(step_id)
    if step is None or progress is None:
        raise UnknownStep(
            f"recipe {recipe.code} v{recipe.version} has no step {step_id!r}",
            {"step_id": step_id},
        )
    return step, progress


def _require_active(state: BatchState) -> None:
    if state.status is not BatchStatus.IN_PROGRESS:
        raise BatchNotActive(
            f"batch {state.header.batch_id} is {state.status.value.replace('_', ' ')}",
            {"status": state.status.value},
        )


def _require_current(state: BatchState, step_id: str) -> None:
    current = state.current()
    if current is None or current.step_id == step_id:
        return
    if current.status is StepStatus.AWAITING_VERIFICATION:
        message = (
            f"step {current.step_id!r} must be verified by a second person before "
            f"{step_id!r} can be completed"
        )
    else:
        message = f"step {current.step_id!r} comes before {step_id!r} and is not done yet"
    raise StepOutOfOrder(message, {"step_id": step_id, "next_step": current.step_id})


def _finish_if_done(state: BatchState, at: datetime) -> None:
    if state.all_done():
        state.status = BatchStatus.AWAITING_REVIEW
        state.completed_at = at


Apply = Callable[[datetime], StepProgress]
"""Records an already checked action at the given time; returns the step's new progress."""
