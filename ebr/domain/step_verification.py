"""When a step needs a second person's verification, and what its records say of it.

Decided here, once, for execution, the pages, the API, the report and the dry run:

- A step is verified by a second, qualified person when its recipe step says ``verify: true``, or
  when it records a **critical** input (EU GMP Annex 11 §6, 21 CFR 211.101(d)): a critical value
  is always checked by a second person, whatever the recipe's ``verify`` says
  (``needs_verification``).
- A **correction** of such a step's values returns it to awaiting verification
  (``ebr.domain.execution.apply_correct``): its verification is signed on the values as corrected
  and names the correction (``VerificationDetail``), and nobody who entered the step's values in
  that execution (its performer, any corrector) may verify them.
- A step's status follows from its records of one execution (``step_status``): pending until it
  is performed; then, if it needs verification, done only once a verification follows the last
  record of its values (the completion or the latest correction).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from ebr.domain.batch import StepStatus
from ebr.domain.meanings import Meaning
from ebr.domain.recipe import NumberInput, Step
from ebr.domain.refusals import PayloadMismatch
from ebr.domain.signed_records import SignedRecord

__all__ = [
    "VerificationDetail",
    "critical_inputs",
    "latest_correction",
    "needs_verification",
    "step_status",
    "verification_reason",
]

_VALUES = (Meaning.PERFORMED, Meaning.CORRECTED)


def critical_inputs(step: Step) -> tuple[str, ...]:
    """The labels of the step's critical inputs, in recipe order."""
    return tuple(s.label for s in step.inputs if isinstance(s, NumberInput) and s.critical)


def needs_verification(step: Step) -> bool:
    """The step is verified by a second person: its recipe asks for it, or it records a critical
    input (which the recipe's ``verify: false`` does not waive)."""
    return step.verify or bool(critical_inputs(step))


def verification_reason(step: Step) -> str | None:
    """Why the step is verified, in words for pages and reports; None when it is not."""
    critical = critical_inputs(step)
    if critical:
        return f"critical input{'s' if len(critical) > 1 else ''}: {', '.join(critical)}"
    return "the recipe asks for it" if step.verify else None


class VerificationDetail(BaseModel):
    """The signed detail of a verification of corrected values: the correction it verifies
    (its record id). A verification of values never corrected carries no detail."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    verifies: str

    @classmethod
    def of(cls, detail: dict[str, Any] | None) -> VerificationDetail | None:
        """The detail as signed (None for none), or ``PayloadMismatch`` saying what it lacks."""
        if detail is None:
            return None
        try:
            return cls.model_validate(detail)
        except ValidationError:
            raise PayloadMismatch(
                "a verification's detail names only the correction it verifies ('verifies')",
                {"field": "detail"},
            ) from None

    def detail(self) -> dict[str, Any]:
        return {"verifies": self.verifies}


def latest_correction(records: Sequence[SignedRecord]) -> SignedRecord | None:
    """The latest correction among one execution's records of a step (chain order)."""
    found = [r for r in records if r.meaning is Meaning.CORRECTED]
    return max(found, key=lambda r: r.seq) if found else None


def step_status(step: Step, records: Sequence[SignedRecord]) -> StepStatus:
    """The step's status as one execution's records show it (readers: pages, review, report).

    Pending until performed; done then, unless it needs verification, in which case it is done
    only when a verification follows the last record of its values (completion or correction).
    """
    values = [r.seq for r in records if r.meaning in _VALUES]
    if not any(r.meaning is Meaning.PERFORMED for r in records):
        return StepStatus.PENDING
    if not needs_verification(step):
        return StepStatus.DONE
    last = max(values)
    verified = any(r.meaning is Meaning.VERIFIED and r.seq > last for r in records)
    return StepStatus.DONE if verified else StepStatus.AWAITING_VERIFICATION
