"""What the batch-history report shows: a ``BatchHistory`` and the pieces it is made of."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ebr.domain.meanings import Meaning
from ebr.domain.recipe import CheckInput, NumberInput
from ebr.domain.recipe_versions import RecipeSignature
from ebr.domain.signed_records import Manifestation
from ebr.domain.subjects import Subject
from ebr.domain.values import RecordedValue

__all__ = [
    "APPENDIX_TITLE",
    "ATTACHMENTS",
    "AuditLine",
    "BatchHistory",
    "DecisionLine",
    "DeviationHistory",
    "EventLine",
    "ExceptionLine",
    "HoldHistory",
    "Manifestation",
    "OperationHistory",
    "RecordLine",
    "REPORT_FORMAT",
    "RedlineHistory",
    "ReviewLine",
    "SECTIONS",
    "StepHistory",
    "StepVersions",
    "ValueLine",
    "VersionLine",
    "display_value",
    "limits_text",
]

ATTACHMENTS = ("records.json", "audit.json", "certificates.pem")
"""The files a report embeds, as PDF/A-3 associated files."""
REPORT_FORMAT = "ebr.report/2"
"""The format of records.json and audit.json: ``/2`` holds ``signed_records`` rows of the batch's
chain (``ebr.record/2`` payloads); ``/1`` held step records of a format no longer read."""
APPENDIX_TITLE = "Appendix: audit trail of batch"
"""The heading after which ``verify-pdf`` stops looking for record content."""
SECTIONS = {
    "cover": "Batch record:",
    "exceptions": "Summary of exceptions",
    "deviations": "Deviations and their dispositions",
    "holds": "Holds placed on the batch",
    "redlines": "Redlines: changes to the master recipe",
    "timers": "Timer events",
    "materials": "Materials",
    "procedure": "Procedure",
}
"""The report's headings in order: ``verify-pdf`` looks for a decision in its own section."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ValueLine(_Frozen):
    """One recorded value as printed: label, value as text, unit, the recipe's limits."""

    name: str
    label: str
    display: str
    unit: str | None = None
    limits: str | None = None
    entered: str | None = None
    in_spec: bool | None = None
    critical: bool = False

    @property
    def out_of_spec(self) -> bool:
        return self.in_spec is False


class RecordLine(_Frozen):
    """One signed record of a step: the signature manifestation and what it carried."""

    record_id: str
    seq: int
    manifestation: Manifestation
    values: tuple[ValueLine, ...] = ()
    comment: str | None = None
    reason: str | None = None
    corrects: str | None = None
    original: tuple[ValueLine, ...] = ()
    record_hash: str


class StepHistory(_Frozen):
    position: int
    step_id: str
    name: str
    kind: str
    instructions: str
    verify: bool  # verified by a second person (``step_verification.needs_verification``)
    verify_reason: str | None = None  # why, in words
    status: str
    records: tuple[RecordLine, ...] = ()


class OperationHistory(_Frozen):
    unit_procedure: str
    operation: str
    steps: tuple[StepHistory, ...]


class ExceptionLine(_Frozen):
    """An entry of the exceptions summary: out of specification, a correction, or a comment."""

    kind: str
    position: int
    step_name: str
    text: str
    who: str
    at: datetime


class AuditLine(_Frozen):
    idx: int
    at: datetime
    actor: str
    station: str
    action: str
    entity: str
    entity_id: str
    reason: str | None = None
    detail: str = ""


class EventLine(_Frozen):
    """An entry of an optional section (deviation, hold, timer event, material)."""

    at: datetime | None = None
    who: str = ""
    title: str
    detail: str = ""


class DecisionLine(_Frozen):
    """A signed decision on the batch (release, rejection), a deviation (disposition) or a hold
    (QA's lift): its subject, manifestation, reason and structured detail, as signed."""

    record_id: str
    subject: Subject
    manifestation: Manifestation
    reason: str | None = None
    detail: dict[str, Any] | None = None

    @property
    def meaning(self) -> Meaning:
        return self.manifestation.meaning


class DeviationHistory(_Frozen):
    """One deviation, its latest version: a short table of its stages and QA's signed decisions
    (its classification, with the reason and whether it is below the rules' class, and its
    disposition)."""

    deviation_id: str
    title: str
    lines: tuple[EventLine, ...]
    decision: DecisionLine | None = None
    classification: DecisionLine | None = None
    below_rules: str | None = None  # in words, when QA classified it below the rules' class


class HoldHistory(_Frozen):
    """One hold: who placed it and why, who lifted it and why, how long it lasted."""

    hold_id: str
    placed_at: datetime
    placed_by: str
    reason: str
    deviation_id: str | None = None
    lifted_at: datetime | None = None
    lifted_by: str | None = None
    lift_reason: str | None = None
    duration: str
    decision: DecisionLine | None = None


class VersionLine(_Frozen):
    """One aspect of a step (its instructions, an input's limits, its time limits) in the
    master's version and the batch's."""

    aspect: str
    master: str
    batch: str


class StepVersions(_Frozen):
    """A step a redline adds or changes, side by side in the master and in the batch."""

    step_id: str
    title: str
    lines: tuple[VersionLine, ...]


class RedlineHistory(_Frozen):
    """One redline: its changes in words, each step it touches in both versions, and its signed
    records (the proposal with its reason, QA's approval or rejection)."""

    redline_id: str
    status: str
    changes: tuple[str, ...]
    steps: tuple[StepVersions, ...]
    signatures: tuple[DecisionLine, ...]


class ReviewLine(_Frozen):
    """An exception the review by exception lists, and QA's mark on it (if any)."""

    exception_id: str
    kind: str
    at: datetime
    summary: str
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    comment: str | None = None


class BatchHistory(_Frozen):
    """Everything the batch-history report shows, and the raw evidence it attaches."""

    batch_id: str
    batch_number: str
    product_code: str
    product_name: str
    recipe_code: str
    recipe_version: int
    recipe_name: str
    recipe_hash: str
    # The master recipe version's authorship, review and approval (21 CFR 211.186(a)).
    recipe_signatures: tuple[RecipeSignature, ...] = ()
    recipe_effective_from: datetime | None = None
    planned_quantity: str
    actual_quantity: str | None = None
    status: str
    decision: Manifestation | None = None
    decision_reason: str | None = None
    created_by: str
    created_at: datetime
    completed_at: datetime | None = None
    operations: tuple[OperationHistory, ...]
    exceptions: tuple[ExceptionLine, ...] = ()
    audit: tuple[AuditLine, ...] = ()
    reviews: tuple[ReviewLine, ...] = ()
    deviations: tuple[DeviationHistory, ...] = ()
    holds: tuple[HoldHistory, ...] = ()
    redlines: tuple[RedlineHistory, ...] = ()
    timer_events: tuple[EventLine, ...] = ()
    materials: tuple[EventLine, ...] = ()
    # The machine-readable evidence embedded in the PDF (records.json, audit.json, PEM).
    evidence_records: tuple[dict[str, Any], ...] = Field(default=(), repr=False)
    evidence_audit: tuple[dict[str, Any], ...] = Field(default=(), repr=False)
    certificates_pem: str = Field(default="", repr=False)
    # The audit checkpoint covering ``evidence_audit``, with inclusion proofs (``coverage``).
    evidence_checkpoint: dict[str, Any] | None = Field(default=None, repr=False)

    @property
    def final(self) -> bool:
        """Released or rejected: the only states in which the report is not a draft."""
        return self.status in ("released", "rejected")

    def steps(self) -> list[StepHistory]:
        return [step for operation in self.operations for step in operation.steps]


def display_value(value: RecordedValue) -> str:
    """A recorded value as the report prints it (and ``verify-pdf`` looks for it)."""
    if value.type == "check":
        return "Yes" if value.value is True else "No" if value.value is False else "-"
    if value.value is None:
        return "-"
    return str(value.value)


def limits_text(spec: object) -> str | None:
    """An input's limits as the report prints them (a number's range, a check's expected
    answer), or None when it has none."""
    if isinstance(spec, NumberInput):
        low, high, unit = spec.min, spec.max, spec.unit
        if low is not None and high is not None:
            return f"{low} to {high} {unit}"
        if low is not None:
            return f"at least {low} {unit}"
        if high is not None:
            return f"at most {high} {unit}"
    if isinstance(spec, CheckInput) and spec.expected is not None:
        return "expected Yes" if spec.expected else "expected No"
    return None
