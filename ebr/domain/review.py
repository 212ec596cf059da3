"""Review by exception: from a batch's record, only what QA must look at, each with a stable id.

Each exception's id is ``<kind>:<ref>``, built from ids that never change (a record id and input
name, a deviation, hold, timer or redline id), so QA's mark survives replays; docs/batch-status.md lists
them. An out-of-limit value always carries its comment (``execution.out_of_limit_policy``), which
is shown in the value's exception rather than listed again as a comment.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from ebr.domain.batch import Actor
from ebr.domain.deviations import Deviation
from ebr.domain.holds import Hold
from ebr.domain.meanings import Meaning
from ebr.domain.redline_changes import describe
from ebr.domain.redlines import Redline, redlines_of
from ebr.domain.refusals import AlreadyReviewed, RoleNotAllowed, UnknownException
from ebr.domain.roles import Role
from ebr.domain.signed_records import SignedRecord
from ebr.domain.timing import TimerBreach

__all__ = [
    "LATE_VERIFICATION_MINUTES",
    "ExceptionKind",
    "ExceptionReport",
    "ReviewException",
    "ReviewMark",
    "check_mark_reviewed",
    "exception_report",
    "record_exceptions",
    "report_of",
    "unreviewed",
]

LATE_VERIFICATION_MINUTES = 60
"""The default N: a verification more than this many minutes after its completion is late."""


class ExceptionKind(StrEnum):
    OUT_OF_LIMIT = "out_of_limit"
    DEVIATION = "deviation"
    CORRECTION = "correction"
    COMMENT = "comment"
    HOLD = "hold"
    TIMER_BREACH = "timer_breach"
    LATE_VERIFICATION = "late_verification"
    REDLINE = "redline"
    CLASSIFICATION = "classification"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ReviewException(_Frozen):
    id: str
    kind: ExceptionKind
    at: datetime
    summary: str
    step_id: str | None = None
    execution: int | None = None


class ExceptionReport(_Frozen):
    exceptions: tuple[ReviewException, ...] = ()

    @property
    def none(self) -> bool:
        """True when the batch's execution had no exception at all."""
        return not self.exceptions

    def summary(self) -> str:
        if self.none:
            return "The batch's execution had no exception."
        return f"{len(self.exceptions)} exception(s) to review."

    def get(self, exception_id: str) -> ReviewException | None:
        return next((e for e in self.exceptions if e.id == exception_id), None)


class ReviewMark(_Frozen):
    """QA's mark that one exception was reviewed."""

    exception_id: str
    by: str
    at: datetime
    comment: str | None = None


def exception_report(
    records: Sequence[SignedRecord],
    deviations: Sequence[Deviation] = (),
    holds: Sequence[Hold] = (),
    breaches: Sequence[TimerBreach] = (),
    *,
    late_after_minutes: int = LATE_VERIFICATION_MINUTES,
) -> ExceptionReport:
    """Every exception of the batch, in time order (then by id); its redlines are read from
    its records."""
    steps = [r for r in records if r.step_id is not None]
    performed = {(r.step_id, r.execution): r for r in steps if r.meaning is Meaning.PERFORMED}
    by_id = {r.record_id: r for r in steps}
    found: list[ReviewException] = []
    for r in steps:
        # A verification is late after the values it verifies: a correction's, if it names one.
        named = (r.detail or {}).get("verifies") if r.meaning is Meaning.VERIFIED else None
        done = by_id.get(named) if isinstance(named, str) else None
        done = done or performed.get((r.step_id, r.execution))
        found += record_exceptions(
            r,
            performed_at=done.recorded_at if done else None,
            late_after_minutes=late_after_minutes,
        )
    return report_of(found, deviations, holds, breaches, redlines_of(records))


def report_of(
    from_records: Sequence[ReviewException],
    deviations: Sequence[Deviation] = (),
    holds: Sequence[Hold] = (),
    breaches: Sequence[TimerBreach] = (),
    redlines: Sequence[Redline] = (),
) -> ExceptionReport:
    """The report from the exceptions already found in the records (``record_exceptions``, as
    the workflow collects them one record at a time) and the batch's other events. Each
    approved redline is one: the batch ran steps other than its master's; so is each deviation
    QA classified below the class the rules gave it (``Deviation.below_rules``)."""
    found = list(from_records)
    for redline in redlines:
        if redline.approved and redline.decided_at is not None:
            changes = "; ".join(describe(c) for c in redline.content.changes)
            text = (
                f"redline {redline.redline_id} approved by {redline.decided_by}: {changes} "
                f"(proposed by {redline.proposed_by}: {redline.reason})"
            )
            found.append(_exc(ExceptionKind.REDLINE, redline.redline_id, redline.decided_at, text))
    for dev in deviations:
        text = f"deviation {dev.id} ({dev.origin.value}, {dev.stage.value}): {dev.description}"
        found.append(
            _exc(ExceptionKind.DEVIATION, dev.id, dev.opened_at, text, dev.step_id, dev.execution)
        )
        if dev.below_rules and dev.classification and dev.rules_class and dev.classified_at:
            text = (
                f"deviation {dev.id} classified {dev.classification.value} by {dev.classified_by}, "
                f"below the class the rules gave it ({dev.rules_class.value}): "
                f"{dev.classification_reason}"
            )
            found.append(
                _exc(ExceptionKind.CLASSIFICATION, dev.id, dev.classified_at, text, dev.step_id)
            )
    for hold in holds:
        until, length = "still active", ""
        if hold.lifted_at is not None:
            until = f"lifted {hold.lifted_at.isoformat()} by {hold.lifted_by}: {hold.lift_reason}"
            length = f", {_minutes(hold.duration(hold.lifted_at))} min"
        text = f"on hold by {hold.placed_by}{length}: {hold.reason} ({until})"
        found.append(_exc(ExceptionKind.HOLD, hold.hold_id, hold.placed_at, text))
    for b in breaches:
        d = b.deadline
        found.append(
            _exc(
                ExceptionKind.TIMER_BREACH, d.timer_id, b.at, d.description, d.step_id, d.execution
            )
        )
    return ExceptionReport(exceptions=tuple(sorted(found, key=lambda e: (e.at, e.id))))


def record_exceptions(
    r: SignedRecord,
    *,
    performed_at: datetime | None,
    late_after_minutes: int = LATE_VERIFICATION_MINUTES,
) -> list[ReviewException]:
    """The exceptions one step record raises; ``performed_at`` is when the values a verification
    verifies were entered (the step's completion in the same execution, or the correction it
    names), for its lateness. Decisions raise none."""
    if r.step_id is None:
        return []
    found: list[ReviewException] = []

    def add(kind: ExceptionKind, ref: str, text: str) -> None:
        found.append(_exc(kind, ref, r.recorded_at, text, r.step_id, r.execution))

    out = [v for v in r.values if v.in_spec is False]
    note = f" (comment: {r.comment})" if r.comment else ""
    for v in out:
        value = f"{v.value} {v.unit}" if v.unit else str(v.value)
        text = f"{v.name} = {value} out of limits at step {r.step_id!r}, by {r.user_id}{note}"
        add(ExceptionKind.OUT_OF_LIMIT, f"{r.record_id}:{v.name}", text)
    if r.meaning is Meaning.CORRECTED:
        add(
            ExceptionKind.CORRECTION,
            r.record_id,
            f"values of step {r.step_id!r} corrected by {r.user_id}",
        )
    if r.comment and r.comment.strip() and not out:
        add(ExceptionKind.COMMENT, r.record_id, f"{r.user_id} on step {r.step_id!r}: {r.comment}")
    late = timedelta(minutes=late_after_minutes)
    if r.meaning is Meaning.VERIFIED and performed_at and r.recorded_at - performed_at > late:
        after = _minutes(r.recorded_at - performed_at)
        what = "the correction it verifies" if r.detail else "its completion"
        text = f"step {r.step_id!r} verified by {r.user_id} {after} min after {what}"
        add(ExceptionKind.LATE_VERIFICATION, r.record_id, text)
    return found


def check_mark_reviewed(
    report: ExceptionReport, marks: Collection[ReviewMark], *, actor: Actor, exception_id: str
) -> ReviewException:
    """QA marks an exception of the report reviewed, once; return the exception."""
    if Role.QA not in actor.roles:
        raise RoleNotAllowed("only QA reviews a batch record", {"allowed_roles": ["qa"]})
    found = report.get(exception_id)
    if found is None:
        raise UnknownException(
            f"the batch has no exception {exception_id!r}", {"exception_id": exception_id}
        )
    earlier = next((m for m in marks if m.exception_id == exception_id), None)
    if earlier is not None:
        raise AlreadyReviewed(
            f"exception {exception_id!r} was already reviewed by {earlier.by}",
            {"exception_id": exception_id, "reviewed_by": earlier.by},
        )
    return found


def unreviewed(report: ExceptionReport, marks: Collection[ReviewMark]) -> list[ReviewException]:
    done = {m.exception_id for m in marks}
    return [e for e in report.exceptions if e.id not in done]


def _exc(
    kind: ExceptionKind,
    ref: str,
    at: datetime,
    summary: str,
    step_id: str | None = None,
    execution: int | None = None,
) -> ReviewException:
    exc_id = f"{kind.value}:{ref}"
    return ReviewException(
        id=exc_id, kind=kind, at=at, summary=summary, step_id=step_id, execution=execution
    )


def _minutes(span: timedelta) -> int:
    return int(span.total_seconds() // 60)
