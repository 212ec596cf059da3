"""The report's sections for what happened besides the steps: deviations, holds, timer events
and the review by exception, from the audit log, each with its signed decision.

Deviations, holds, breaches and review marks are read as ``ebr.store.batch_events`` reads them
(the latest version of each); a deviation's classification and disposition and a hold's lift
are the batch's decision records about it (``ebr.report.decisions``), found by their typed
subject and meaning. A decision whose subject the audit log does not hold is still shown, marked
as missing from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from ebr.domain.deviations import Deviation
from ebr.domain.holds import BY_THE_RULES, Hold
from ebr.domain.meanings import Meaning
from ebr.domain.review import exception_report
from ebr.domain.signed_records import SignedRecord
from ebr.domain.subjects import Subject, SubjectKind, deviation_subject, hold_subject
from ebr.report.decisions import Decisions, signed
from ebr.report.history import (
    DeviationHistory,
    EventLine,
    HoldHistory,
    ReviewLine,
)
from ebr.store.batch_events import BatchEvents

__all__ = ["deviation_sections", "hold_sections", "review_lines", "timer_lines"]


_MISSING = "not found in the audit trail"


def deviation_sections(
    deviations: Iterable[Deviation],
    decisions: Decisions,
    *,
    names: Mapping[str, str],
    steps: Mapping[str, str],
) -> tuple[DeviationHistory, ...]:
    """One short table per deviation: opened, investigated, classified (and whether below the
    rules' class), dispositioned, CAPA; with QA's signed classification and disposition.

    A signed decision whose deviation the audit log does not hold is shown all the same, under
    its id, marked as missing from the audit trail.
    """
    found = [_deviation(d, decisions, names, steps) for d in deviations]
    known = {deviation_subject(d.deviation_id) for d in found}
    for subject in _unknown(decisions, SubjectKind.DEVIATION, known):
        ref = subject.id
        found.append(
            DeviationHistory(
                deviation_id=ref,
                title=f"{ref} · {_MISSING}",
                lines=(),
                decision=signed(decisions, subject, Meaning.APPROVED),
                classification=signed(decisions, subject, Meaning.CLASSIFIED),
            )
        )
    return tuple(found)


def _deviation(
    dev: Deviation,
    decisions: Decisions,
    names: Mapping[str, str],
    steps: Mapping[str, str],
) -> DeviationHistory:
    def who(user_id: str | None) -> str:
        return _who(user_id, names)

    where = f" at step {steps.get(dev.step_id, dev.step_id)}" if dev.step_id else ""
    origin = dev.origin.value.replace("_", " ")
    lines = [EventLine(at=dev.opened_at, who=who(dev.opened_by), title="Opened",
                       detail=f"{origin}{where}: {dev.description}")]  # fmt: skip
    found = dev.investigation
    if found is not None:
        affected = ", ".join(steps.get(s, s) for s in found.affected_steps) or "none named"
        lines.append(EventLine(at=found.at, who=who(found.by), title="Investigated",
                               detail=f"Root cause: {found.root_cause}. Impact: {found.impact}. "
                               f"Affected steps: {affected}."))  # fmt: skip
    below = None
    if dev.classification is not None:
        if dev.below_rules and dev.rules_class is not None:
            below = (f"Classified {dev.classification.value}, below the class the rules gave it "
                     f"({dev.rules_class.value}): an exception of the review by exception")  # fmt: skip
        why = f". Reason: {dev.classification_reason}" if dev.classification_reason else ""
        lines.append(EventLine(at=dev.classified_at, who=who(dev.classified_by), title="Classified",
                               detail=dev.classification.value + why
                               + (f". {below}" if below else "")))  # fmt: skip
    ruling = dev.disposition
    if ruling is not None:
        rework = ", ".join(steps.get(s, s) for s in ruling.rework_steps)
        detail = f"{ruling.decision.value.capitalize()}: {ruling.reason}"
        lines.append(EventLine(at=ruling.at, who=who(ruling.by), title="Disposition",
                               detail=detail + (f". Rework of: {rework}" if rework else "")))  # fmt: skip
    if dev.capa_ref:
        lines.append(EventLine(title="CAPA", detail=dev.capa_ref))
    state = [dev.classification.value if dev.classification else "not classified",
             dev.stage.value] + (["critical parameter"] if dev.critical else [])  # fmt: skip
    state += (
        [f"below the rules' class ({dev.rules_class.value})"] if below and dev.rules_class else []
    )
    subject = deviation_subject(dev.id)
    return DeviationHistory(
        deviation_id=dev.id,
        title=f"{dev.id} · {' · '.join(state)}",
        lines=tuple(lines),
        decision=signed(decisions, subject, Meaning.APPROVED),
        classification=signed(decisions, subject, Meaning.CLASSIFIED),
        below_rules=below,
    )


def hold_sections(
    holds: Iterable[Hold],
    decisions: Decisions,
    *,
    names: Mapping[str, str],
    now: datetime,
) -> tuple[HoldHistory, ...]:
    """Each hold with its reason, lift and duration (to ``now`` while it is still active); a
    signed lift of a hold the audit log does not hold is shown too, marked as missing."""
    found = [
        HoldHistory(
            hold_id=hold.hold_id,
            placed_at=hold.placed_at,
            placed_by=_who(hold.placed_by, names),
            reason=hold.reason,
            deviation_id=hold.deviation_id,
            lifted_at=hold.lifted_at,
            lifted_by=_who(hold.lifted_by, names) if hold.lifted_by else None,
            lift_reason=hold.lift_reason,
            duration=_span(hold.duration(now)) + ("" if hold.lifted_at else " so far"),
            decision=signed(decisions, hold_subject(hold.hold_id)),
        )
        for hold in holds
    ]
    known = {hold_subject(h.hold_id) for h in found}
    for subject in _unknown(decisions, SubjectKind.HOLD, known):
        decision = signed(decisions, subject)
        assert decision is not None  # a subject is listed for its decisions
        found.append(HoldHistory(hold_id=subject.id, placed_at=decision.manifestation.at,
                                 placed_by="-", reason=_MISSING, duration="-",
                                 decision=decision))  # fmt: skip
    return tuple(found)


def timer_lines(events: BatchEvents, *, steps: Mapping[str, str]) -> tuple[EventLine, ...]:
    """Every deadline breached: when, which step and what the recipe asked."""
    return tuple(
        EventLine(
            at=b.at,
            who="ebr",
            title=f"{b.deadline.kind.value.replace('_', ' ')}: "
            f"{steps.get(b.deadline.step_id, b.deadline.step_id)}",
            detail=f"due {b.deadline.due_at.isoformat()}: {b.deadline.description}",
        )
        for b in events.breaches
    )


def review_lines(
    records: Iterable[SignedRecord], events: BatchEvents, *, names: Mapping[str, str]
) -> tuple[ReviewLine, ...]:
    """What the review by exception lists for the batch, each with QA's mark if it was made."""
    report = exception_report(list(records), events.deviations, events.holds, events.breaches)
    marks = {m.exception_id: m for m in events.marks}
    lines: list[ReviewLine] = []
    for exc in report.exceptions:
        mark = marks.get(exc.id)
        lines.append(
            ReviewLine(
                exception_id=exc.id,
                kind=exc.kind.value.replace("_", " "),
                at=exc.at,
                summary=exc.summary,
                reviewed_by=_who(mark.by, names) if mark else None,
                reviewed_at=mark.at if mark else None,
                comment=mark.comment if mark else None,
            )
        )
    return tuple(lines)


def _unknown(decisions: Decisions, kind: SubjectKind, known: set[Subject]) -> list[Subject]:
    """The subjects of ``kind`` decided but not among ``known``, in chain order."""
    return [s for s in decisions if s.kind is kind and s not in known]


def _who(user_id: str | None, names: Mapping[str, str]) -> str:
    if not user_id:
        return "-"
    if user_id == BY_THE_RULES:
        return "ebr (by the rules)"
    name = names.get(user_id)
    return f"{name} ({user_id})" if name else user_id


def _span(span: timedelta) -> str:
    minutes = max(0, int(span.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = ([f"{days} d"] if days else []) + ([f"{hours} h"] if hours else []) + [f"{mins} min"]
    return " ".join(parts)
