"""A batch's deviations, holds, timer breaches and review marks, as the audit log holds them.

The workflow decides these and audits each new version in full (``new_value``), keyed by the
entity's id; the latest entry per id is the current version. A deviation's signed decisions
(classification, disposition) are audited by the batch, its investigation and CAPA by its own
workflow: a version audited by the one that had not yet heard of the other's decision keeps that
decision (``deviations.with_decisions``), as the workflows do. Readers (the review, the report)
build the same domain objects the workflow used, so both apply the same rules to the same facts.

Entities and actions, as written by the activities:

- ``deviation`` (id = deviation id): ``deviation_opened``, ``deviation_investigated``,
  ``deviation_classified``, ``capa_attached``, ``deviation_closed``; ``new_value`` a Deviation.
- ``hold`` (id = hold id): ``hold_placed``, ``hold_lifted``; ``new_value`` a Hold.
- ``timer`` (id = timer id): ``timer_breached``; ``new_value`` a TimerBreach.
- ``review`` (id = exception id): ``exception_reviewed``; ``new_value`` ``{"mark": ReviewMark,
  "exception": ReviewException}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from ebr.domain.deviations import Deviation, with_decisions
from ebr.domain.holds import Hold
from ebr.domain.review import ReviewException, ReviewMark
from ebr.domain.timing import TimerBreach
from ebr.store.audit import AuditRow

__all__ = ["BatchEvents", "load_batch_events"]

ENTITIES = ("deviation", "hold", "timer", "review")


@dataclass
class BatchEvents:
    deviations: list[Deviation] = field(default_factory=list)
    holds: list[Hold] = field(default_factory=list)
    breaches: list[TimerBreach] = field(default_factory=list)
    marks: list[ReviewMark] = field(default_factory=list)
    # The exception each mark was made on, as QA saw it.
    reviewed: list[ReviewException] = field(default_factory=list)


def load_batch_events(*, session: Session, batch_id: str) -> BatchEvents:
    """The latest version of each deviation, hold, breach and mark of the batch, in the order
    each was first audited."""
    query = (
        select(AuditRow)
        .where(AuditRow.batch_id == batch_id)
        .where(col(AuditRow.entity).in_(ENTITIES))
        .order_by(col(AuditRow.idx))
    )
    latest: dict[tuple[str, str], AuditRow] = {}
    decided: dict[str, Deviation] = {}
    for row in session.exec(query):
        latest[(row.entity, row.entity_id)] = row  # dicts keep first-insertion order
        if row.entity == "deviation":
            version = Deviation.model_validate(row.new_value)
            earlier = decided.get(row.entity_id)
            decided[row.entity_id] = (
                version if earlier is None else with_decisions(version, earlier)
            )
    events = BatchEvents()
    for (entity, entity_id), row in latest.items():
        body = row.new_value
        if entity == "deviation":
            events.deviations.append(decided[entity_id])
        elif entity == "hold":
            events.holds.append(Hold.model_validate(body))
        elif entity == "timer":
            events.breaches.append(TimerBreach.model_validate(body))
        else:
            events.marks.append(ReviewMark.model_validate(body["mark"]))
            events.reviewed.append(ReviewException.model_validate(body["exception"]))
    return events
