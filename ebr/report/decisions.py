"""The signed decisions a batch's chain holds, and where the report shows each kind of them.

``PLACES`` is the one table saying it: a decision on the batch (its release or rejection) is
shown on the cover, a deviation's classification and disposition under that deviation, a hold's
lift under that hold, a redline's proposal and decision under that redline. The template prints
a decision's caption from it (in the words of its meaning, where a kind has more than one) and
``verify-pdf`` looks for the same words in the same section, so a new kind of decision is a new
row here, not a new branch in each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ebr.domain.meanings import Meaning
from ebr.domain.signed_records import SignedRecord
from ebr.domain.subjects import Subject, SubjectKind, batch_subject
from ebr.report.history import DecisionLine

__all__ = [
    "PLACES",
    "DecisionPlace",
    "Decisions",
    "batch_decision",
    "caption",
    "decisions_of",
    "signed",
]


@dataclass(frozen=True)
class DecisionPlace:
    """Where a kind of decision is shown: a section (a key of ``history.SECTIONS``) and the
    words before its signature (``{id}`` is the subject's id; empty: the signature alone), or
    other words for a meaning (``by_meaning``)."""

    section: str
    words: str
    by_meaning: Mapping[Meaning, str] = field(default_factory=dict)


PLACES: dict[SubjectKind, DecisionPlace] = {
    SubjectKind.BATCH: DecisionPlace("cover", ""),
    SubjectKind.DEVIATION: DecisionPlace(
        "deviations",
        "Signed disposition of {id}",
        {Meaning.CLASSIFIED: "Signed classification of {id}"},
    ),
    SubjectKind.HOLD: DecisionPlace("holds", "Signed lift of {id}"),
    SubjectKind.REDLINE: DecisionPlace("redlines", "Redline {id}"),
}
"""Every kind of decision a batch's chain can hold (a test checks each has its row)."""


def caption(subject: Subject, signed_by: str, meaning: Meaning | None = None) -> str:
    """How the report introduces a decision's signature ``signed_by`` ("Approved by ..."), signed
    with ``meaning``.

    Raises:
        KeyError: the subject is not a kind of decision a batch's report shows.
    """
    place = PLACES[subject.kind]
    words = place.by_meaning.get(meaning, place.words) if meaning else place.words
    words = words.format(id=subject.id)
    return f"{words}: {signed_by}" if words else signed_by


Decisions = Mapping[Subject, tuple[DecisionLine, ...]]
"""The signed decisions on each subject, in chain order."""


def decisions_of(records: Iterable[SignedRecord]) -> dict[Subject, tuple[DecisionLine, ...]]:
    """The signed decisions among a batch's records, by subject, each subject's in chain order
    (a deviation's classification, then its disposition; a redline's proposal, then QA's word)."""
    found: dict[Subject, tuple[DecisionLine, ...]] = {}
    for record in records:
        if record.is_decision:
            line = DecisionLine(
                record_id=record.record_id,
                subject=record.subject,
                manifestation=record.manifestation,
                reason=record.reason,
                detail=record.detail,
            )
            found[record.subject] = (*found.get(record.subject, ()), line)
    return found


def signed(decisions: Decisions, subject: Subject, *meanings: Meaning) -> DecisionLine | None:
    """The latest decision on ``subject`` signed with one of ``meanings`` (any, if none given)."""
    lines = [d for d in decisions.get(subject, ()) if not meanings or d.meaning in meanings]
    return lines[-1] if lines else None


def batch_decision(decisions: Decisions, batch_id: str) -> DecisionLine | None:
    """The release or rejection of the batch, if it was decided."""
    return signed(decisions, batch_subject(batch_id))
