"""Domain errors: each has a stable machine code, a kind saying what went wrong, and a message.

The kind lets the API and the CLI translate an error without knowing every code: ``invalid`` is bad
input, ``conflict`` is a request that does not fit the current state, ``forbidden`` is the wrong
person, ``not_found`` names something that does not exist.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar


class ErrorKind(StrEnum):
    INVALID = "invalid"
    CONFLICT = "conflict"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"


class DomainError(Exception):
    """Base of every error the domain raises; ``code`` is stable and meant for machines."""

    code: ClassVar[str] = "domain_error"
    kind: ClassVar[ErrorKind] = ErrorKind.INVALID

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, "details": self.details}


class RecipeInvalid(DomainError):
    code = "recipe_invalid"


class UnknownStep(DomainError):
    code = "unknown_step"
    kind = ErrorKind.NOT_FOUND


class StepOutOfOrder(DomainError):
    code = "step_out_of_order"
    kind = ErrorKind.CONFLICT


class StepAlreadyDone(DomainError):
    code = "step_already_done"
    kind = ErrorKind.CONFLICT


class StepInProgress(DomainError):
    code = "step_in_progress"
    kind = ErrorKind.CONFLICT


class RoleNotAllowed(DomainError):
    code = "role_not_allowed"
    kind = ErrorKind.FORBIDDEN


class InvalidValues(DomainError):
    code = "invalid_values"


class VerificationNotRequired(DomainError):
    code = "verification_not_required"
    kind = ErrorKind.CONFLICT


class NotAwaitingVerification(DomainError):
    code = "not_awaiting_verification"
    kind = ErrorKind.CONFLICT


class SameUserVerification(DomainError):
    code = "verifier_is_performer"
    kind = ErrorKind.FORBIDDEN


class BatchNotActive(DomainError):
    code = "batch_not_active"
    kind = ErrorKind.CONFLICT


class UnitMismatch(DomainError):
    code = "unit_mismatch"


class NothingToCorrect(DomainError):
    code = "nothing_to_correct"
    kind = ErrorKind.CONFLICT


class ReasonRequired(DomainError):
    code = "reason_required"


class ChainMoved(DomainError):
    """The batch recorded something else since the record was signed: sign again on the new head."""

    code = "chain_moved"
    kind = ErrorKind.CONFLICT


class ExecutionMoved(DomainError):
    """The step was opened again (rework) since the record was signed: sign for the new execution
    (details: ``step_id``, ``execution``)."""

    code = "execution_moved"
    kind = ErrorKind.CONFLICT


class SignatureRequired(DomainError):
    code = "signature_required"
    kind = ErrorKind.FORBIDDEN


class PayloadMismatch(DomainError):
    """The signed content is not what the request asks to record."""

    code = "payload_mismatch"


class BatchOnHold(DomainError):
    """A step cannot be completed while the batch is on hold; details carry the hold's reason."""

    code = "batch_on_hold"
    kind = ErrorKind.CONFLICT


class TooEarly(DomainError):
    """A step's minimum duration has not passed; details carry the seconds left."""

    code = "too_early"
    kind = ErrorKind.CONFLICT


class ReleaseBlocked(DomainError):
    """The batch cannot be released yet; details list everything that is missing."""

    code = "release_blocked"
    kind = ErrorKind.CONFLICT


class SegregationOfDuties(DomainError):
    """A person who performed or verified a step of the batch may not release it."""

    code = "segregation_of_duties"
    kind = ErrorKind.FORBIDDEN


class DeviationStateError(DomainError):
    """The deviation is not at the stage the action needs."""

    code = "deviation_state"
    kind = ErrorKind.CONFLICT


class ReworkInvalid(DomainError):
    """A rework disposition names no step, or a step that cannot be redone."""

    code = "rework_invalid"
    kind = ErrorKind.CONFLICT


class TransitionNotAllowed(DomainError):
    """The batch's status does not allow this event (see docs/batch-status.md)."""

    code = "transition_not_allowed"
    kind = ErrorKind.CONFLICT


class CommentRequired(DomainError):
    """An out-of-limit value is recorded only with the operator's comment."""

    code = "comment_required"


class HoldNotActive(DomainError):
    code = "hold_not_active"
    kind = ErrorKind.CONFLICT


class AlreadyReviewed(DomainError):
    code = "already_reviewed"
    kind = ErrorKind.CONFLICT


class UnknownDeviation(DomainError):
    code = "unknown_deviation"
    kind = ErrorKind.NOT_FOUND


class UnknownHold(DomainError):
    code = "unknown_hold"
    kind = ErrorKind.NOT_FOUND


class UnknownException(DomainError):
    """No review exception of the batch has this id."""

    code = "unknown_exception"
    kind = ErrorKind.NOT_FOUND


ERRORS_BY_CODE: dict[str, type[DomainError]] = {
    cls.code: cls
    for cls in (
        DomainError,
        RecipeInvalid,
        UnknownStep,
        StepOutOfOrder,
        StepAlreadyDone,
        StepInProgress,
        RoleNotAllowed,
        InvalidValues,
        VerificationNotRequired,
        NotAwaitingVerification,
        SameUserVerification,
        BatchNotActive,
        UnitMismatch,
        NothingToCorrect,
        ReasonRequired,
        ChainMoved,
        SignatureRequired,
        PayloadMismatch,
        BatchOnHold,
        TooEarly,
        ReleaseBlocked,
        SegregationOfDuties,
        DeviationStateError,
        ReworkInvalid,
        TransitionNotAllowed,
        CommentRequired,
        HoldNotActive,
        AlreadyReviewed,
        UnknownDeviation,
        UnknownHold,
        UnknownException,
    )
}


def kind_of(code: str) -> ErrorKind:
    """The kind of a domain error code; unknown codes count as conflicts with the batch's state."""
    cls = ERRORS_BY_CODE.get(code)
    return cls.kind if cls else ErrorKind.CONFLICT
