"""Refusals: the one error type of ebr. Each has a stable machine code, a kind, a message and details.

The kind says what went wrong without knowing every code: ``invalid`` is bad input, ``conflict`` a
request that does not fit the current state, ``forbidden`` the wrong person, ``not_found`` a thing
that does not exist, ``unauthenticated`` a wrong password or user id, ``locked`` a locked account,
``throttled`` too many failed attempts just now (try again after a delay), ``unavailable`` a part
of the system that does not answer now, ``unsupported`` a request in a
form the system does not take, and ``damaged`` stored data that fails its own checks (an
incident, never the user's fault). The domain, the store, the account
controls and the API raise subclasses of ``Refusal``; only ``api/errors.py`` turns a kind into an
HTTP status, and the CLI prints the message. A refusal crossing Temporal keeps its code and kind
(``workflows.calls.refusal`` and ``Refusal.of``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar

__all__ = ["Refusal", "RefusalKind"]


class RefusalKind(StrEnum):
    INVALID = "invalid"
    CONFLICT = "conflict"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    UNAUTHENTICATED = "unauthenticated"
    LOCKED = "locked"
    THROTTLED = "throttled"
    UNAVAILABLE = "unavailable"
    UNSUPPORTED = "unsupported"
    DAMAGED = "damaged"


class Refusal(Exception):
    """Base of every refusal. Subclasses declare ``code`` and ``kind`` in the class statement
    (``class StepOutOfOrder(Refusal, code="step_out_of_order", kind=RefusalKind.CONFLICT)``);
    ``Refusal.of`` makes one from a code and kind that crossed a process boundary."""

    # Declared per class; an instance made by ``of`` carries its own.
    code: str = "refused"
    kind: RefusalKind = RefusalKind.INVALID
    by_code: ClassVar[dict[str, type[Refusal]]] = {}

    def __init_subclass__(
        cls, *, code: str | None = None, kind: RefusalKind | None = None, **rest: Any
    ) -> None:
        super().__init_subclass__(**rest)
        if code is not None:
            cls.code = code
            Refusal.by_code.setdefault(code, cls)
        if kind is not None:
            cls.kind = kind

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    @staticmethod
    def of(code: str, message: str, details: Any = None, *, kind: str | None = None) -> Refusal:
        """The refusal a code names (its own class when known here), e.g. from a workflow's
        answer; an unknown code keeps the kind it came with (a conflict when it came with none)."""
        known = Refusal.by_code.get(code)
        if known is not None:
            return known(message, details)
        refusal = Refusal(message, details)
        refusal.code = code
        refusal.kind = RefusalKind(kind) if kind in set(RefusalKind) else RefusalKind.CONFLICT
        return refusal

    def as_dict(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, "details": self.details}


class RecipeInvalid(Refusal, code="recipe_invalid", kind=RefusalKind.INVALID):
    """The recipe breaks a rule of the recipe format; details name each problem."""


class UnknownStep(Refusal, code="unknown_step", kind=RefusalKind.NOT_FOUND):
    """The recipe has no step of this id."""


class StepOutOfOrder(Refusal, code="step_out_of_order", kind=RefusalKind.CONFLICT):
    """A step before this one is not done."""


class StepAlreadyDone(Refusal, code="step_already_done", kind=RefusalKind.CONFLICT):
    """The step is done; a correction is the way to change its values."""


class StepInProgress(Refusal, code="step_in_progress", kind=RefusalKind.CONFLICT):
    """Another request is recording this step or deciding this subject now."""


class RoleNotAllowed(Refusal, code="role_not_allowed", kind=RefusalKind.FORBIDDEN):
    """The person does not hold the role the action needs."""


class InvalidValues(Refusal, code="invalid_values", kind=RefusalKind.INVALID):
    """The entered values do not fit the step's inputs; details name each field."""


class VerificationNotRequired(Refusal, code="verification_not_required", kind=RefusalKind.CONFLICT):
    """The step does not call for a second person's verification."""


class NotAwaitingVerification(Refusal, code="not_awaiting_verification", kind=RefusalKind.CONFLICT):
    """The step is not waiting for verification."""


class SameUserVerification(Refusal, code="verifier_is_performer", kind=RefusalKind.FORBIDDEN):
    """The person who performed a step may not verify it."""


class VerifierCorrected(Refusal, code="verifier_is_corrector", kind=RefusalKind.FORBIDDEN):
    """A person who corrected a step's values may not verify them (details: ``step_id``,
    ``corrected_by``)."""


class VerifiesOtherValues(Refusal, code="values_corrected", kind=RefusalKind.CONFLICT):
    """The step's values were corrected since the verification was signed: the verifier reads
    them and verifies again (details: ``step_id``, ``verifies``: the correction to verify)."""


class BatchNotActive(Refusal, code="batch_not_active", kind=RefusalKind.CONFLICT):
    """The batch's record is closed, or it takes no more of this action."""


class UnitMismatch(Refusal, code="unit_mismatch", kind=RefusalKind.INVALID):
    """A value's unit cannot be converted to the recipe's."""


class NothingToCorrect(Refusal, code="nothing_to_correct", kind=RefusalKind.CONFLICT):
    """The step has no record to correct yet."""


class ReasonRequired(Refusal, code="reason_required", kind=RefusalKind.INVALID):
    """The action needs a reason."""


class ChainMoved(Refusal, code="chain_moved", kind=RefusalKind.CONFLICT):
    """The batch recorded something else since the record was signed: sign again on the new head."""


class ExecutionMoved(Refusal, code="execution_moved", kind=RefusalKind.CONFLICT):
    """The step was opened again (rework) since the record was signed: sign for the new execution
    (details: ``step_id``, ``execution``)."""


class PayloadMismatch(Refusal, code="payload_mismatch", kind=RefusalKind.INVALID):
    """The signed content is not what the request asks to record."""


class BatchOnHold(Refusal, code="batch_on_hold", kind=RefusalKind.CONFLICT):
    """A step cannot be completed while the batch is on hold; details carry the hold's reason."""


class TooEarly(Refusal, code="too_early", kind=RefusalKind.CONFLICT):
    """A step's minimum duration has not passed; details carry the seconds left."""


class ReleaseBlocked(Refusal, code="release_blocked", kind=RefusalKind.CONFLICT):
    """The batch cannot be released yet; details list everything that is missing."""


class SegregationOfDuties(Refusal, code="segregation_of_duties", kind=RefusalKind.FORBIDDEN):
    """A person who performed or verified a step of the batch may not release it."""


class DeviationStateError(Refusal, code="deviation_state", kind=RefusalKind.CONFLICT):
    """The deviation is not at the stage the action needs."""


class ReworkInvalid(Refusal, code="rework_invalid", kind=RefusalKind.INVALID):
    """A rework disposition names no step, or a step that cannot be redone."""


class TransitionNotAllowed(Refusal, code="transition_not_allowed", kind=RefusalKind.CONFLICT):
    """The batch's status does not allow this event (see docs/batch-status.md)."""


class CommentRequired(Refusal, code="comment_required", kind=RefusalKind.INVALID):
    """An out-of-limit value is recorded only with the operator's comment."""


class HoldNotActive(Refusal, code="hold_not_active", kind=RefusalKind.CONFLICT):
    """The hold is lifted, or being lifted, or there is none."""


class AlreadyReviewed(Refusal, code="already_reviewed", kind=RefusalKind.CONFLICT):
    """QA has marked this exception reviewed already."""


class UnknownDeviation(Refusal, code="unknown_deviation", kind=RefusalKind.NOT_FOUND):
    """The batch has no deviation of this id."""


class UnknownHold(Refusal, code="unknown_hold", kind=RefusalKind.NOT_FOUND):
    """The batch has no hold of this id."""


class UnknownException(Refusal, code="unknown_exception", kind=RefusalKind.NOT_FOUND):
    """No review exception of the batch has this id."""


class RecipeStateError(Refusal, code="recipe_state", kind=RefusalKind.CONFLICT):
    """The recipe version is not at the stage of its life the action needs."""


class RecipeNotEffective(Refusal, code="recipe_not_effective", kind=RefusalKind.CONFLICT):
    """Only an effective recipe version starts a batch; details say the version's state."""


class BatchNotFound(Refusal, code="batch_not_found", kind=RefusalKind.NOT_FOUND):
    """There is no batch of this id (details: ``batch_id``)."""


class BatchExists(Refusal, code="batch_exists", kind=RefusalKind.CONFLICT):
    """The batch number is used already: batch numbers are never reused."""


class RecipeNotFound(Refusal, code="recipe_not_found", kind=RefusalKind.NOT_FOUND):
    """There is no recipe of this code and version."""


class ReportNotFinal(Refusal, code="report_not_final", kind=RefusalKind.CONFLICT):
    """A final report is issued only for a released or rejected batch."""


class BadSignature(Refusal, code="bad_signature", kind=RefusalKind.INVALID):
    """A signed record's signature does not verify over its content with the signer's key."""


class RedlineInvalid(Refusal, code="redline_invalid", kind=RefusalKind.INVALID):
    """A redline's changes name no step or input of the batch's recipe, or do not make a valid
    recipe; details list each problem."""


class RedlineStepStarted(Refusal, code="redline_step_started", kind=RefusalKind.CONFLICT):
    """A redline changes a step that has started or is done, or adds one before such a step
    (details: ``step_id``, ``status``)."""


class RedlineState(Refusal, code="redline_state", kind=RefusalKind.CONFLICT):
    """The redline is already approved or rejected, or its number is taken."""


class UnknownRedline(Refusal, code="unknown_redline", kind=RefusalKind.NOT_FOUND):
    """The batch has no redline of this id."""


class ApproverIsProposer(Refusal, code="approver_is_proposer", kind=RefusalKind.FORBIDDEN):
    """The person who proposed a redline may not approve or reject it."""


class RolesNotCombinable(Refusal, code="roles_not_combinable", kind=RefusalKind.INVALID):
    """The roles granted may not be held together: an administrator holds no GMP role
    (operator, supervisor, QA, author); or no role was given."""


class AccountStateError(Refusal, code="account_state", kind=RefusalKind.CONFLICT):
    """The account is not in a state this act applies to (already disabled, already confirmed,
    already holding exactly these roles...)."""


class IdentityNotConfirmed(Refusal, code="identity_not_confirmed", kind=RefusalKind.FORBIDDEN):
    """The person's identity has not yet been confirmed by QA or a supervisor (21 CFR 11.100(b)):
    they may sign in and set their password, but sign no record."""


class UnknownAccount(Refusal, code="unknown_account", kind=RefusalKind.NOT_FOUND):
    """No account has this user id."""
