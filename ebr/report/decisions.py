"""The signed decisions a batch's chain holds, and where the report shows each kind of them.

``PLACES`` is the one table saying it: a decision on the batch (its release or rejection) is
shown on the cover, a deviation's disposition under that deviation, a hold's lift under that
hold, a redline's proposal and decision under that redline. The template prints a decision's caption from it and ``verify-pdf`` looks for the same words
in the same section, so a new kind of decision is a new row here, not a new branch in each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ebr.domain.signed_records import SignedRecord
from ebr.domain.subjects import Subject, SubjectKind, batch_subject
from ebr.report.history import DecisionLine

__all__ = ["PLACES", "DecisionPlace", "batch_decision", "caption", "decisions_of"]


@dataclass(frozen=True)
class DecisionPlace:
    """Where a kind of decision is shown: a section (a key of ``history.SECTIONS``) and the
    words before its signature (``{id}`` is the subject's id; empty: the signature alone)."""

    section: str
    words: str


PLACES: dict[SubjectKind, DecisionPlace] = {
    SubjectKind.BATCH: DecisionPlace("cover", ""),
    SubjectKind.DEVIATION: DecisionPlace("deviations", "Signed disposition of {id}"),
    SubjectKind.HOLD: DecisionPlace("holds", "Signed lift of {id}"),
    SubjectKind.REDLINE: DecisionPlace("redlines", "Redline {id}"),
}
"""Every kind of decision a batch's chain can hold (a test checks each has its row)."""


def caption(subject: Subject, signed_by: str) -> str:
    """How the report introduces a decision's signature ``signed_by`` ("Approved by ...").

    Raises:
        KeyError: the subject is not a kind of decision a batch's report shows.
    """
    words = PLACES[subject.kind].words.format(id=subject.id)
    return f"{words}: {signed_by}" if words else signed_by


def decisions_of(records: Iterable[SignedRecord]) -> dict[Subject, DecisionLine]:
    """The signed decisions among a batch's records, by subject (the latest one of each)."""
    return {
        record.subject: DecisionLine(
            record_id=record.record_id,
            subject=record.subject,
            manifestation=record.manifestation,
            reason=record.reason,
            detail=record.detail,
        )
        for record in records
        if record.is_decision
    }


def batch_decision(decisions: Mapping[Subject, DecisionLine], batch_id: str) -> DecisionLine | None:
    """The release or rejection of the batch, if it was decided."""
    return decisions.get(batch_subject(batch_id))
