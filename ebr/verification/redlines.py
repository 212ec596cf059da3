"""Checking that a batch's steps are derivable from its master recipe and its signed redlines.

A batch with redlines ran steps other than its master's. Its chain alone must say which: each
approval follows its proposal, names the hash of the proposal's content, is not signed by the
proposer, and applies (in chain order) to the recipe the earlier approvals made of the master;
no step it changes has a record before it, and no step it adds comes before one that has; and
every step record names a step of the recipe as the approvals before it made it. Then the recipe
the readers show (``ebr.domain.redlines.effective``) is the one the records were made against.

Run after ``check_signed_records``: every record here has a valid signature and columns that
say what its payload says, so the columns are read as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import ValidationError

from ebr.domain.meanings import Meaning
from ebr.domain.recipe import Recipe
from ebr.domain.redline_changes import AddStep, RedlineContent, apply_redline, touched
from ebr.domain.redlines import DecisionDetail
from ebr.domain.refusals import Refusal
from ebr.domain.subjects import ChainKind, SubjectKind
from ebr.verification.evidence import RecordEvidence
from ebr.verification.findings import Inconsistency

__all__ = ["check_redlines", "redlined_batches"]

TABLE = "signed_records"


def redlined_batches(records: Sequence[RecordEvidence]) -> set[str]:
    """The batches whose chains hold a redline's record."""
    return {
        r.chain_id
        for r in records
        if r.chain_kind == ChainKind.BATCH.value and r.subject_kind == SubjectKind.REDLINE.value
    }


def check_redlines(records: Sequence[RecordEvidence], masters: Mapping[str, Recipe]) -> int:
    """Check every batch in ``masters`` (its master recipe, by batch id) against its records, as
    the module says; return how many approved redlines were applied.

    Raises:
        Inconsistency: table ``signed_records``, at the first record that contradicts the rules.
    """
    chains: dict[str, list[RecordEvidence]] = {batch_id: [] for batch_id in masters}
    for r in records:
        if r.chain_kind == ChainKind.BATCH.value and r.chain_id in chains:
            chains[r.chain_id].append(r)
    applied = 0
    for batch_id, chain in chains.items():
        replay = _Replay(masters[batch_id])
        for record in sorted(chain, key=lambda r: r.seq):
            replay.take(record)
        applied += replay.applied
    return applied


@dataclass
class _Replay:
    """One batch's chain read in order: the recipe as the approvals so far make it."""

    recipe: Recipe
    proposals: dict[str, tuple[RedlineContent, str]] = field(default_factory=dict)
    decided: set[str] = field(default_factory=set)
    recorded: dict[str, int] = field(default_factory=dict)  # step id: seq of its first record
    applied: int = 0

    def take(self, record: RecordEvidence) -> None:
        if record.subject_kind == SubjectKind.BATCH_STEP.value:
            self._step(record)
        elif record.subject_kind == SubjectKind.REDLINE.value:
            if record.meaning == Meaning.PROPOSED.value:
                self._proposal(record)
            else:
                self._decision(record)

    def _step(self, record: RecordEvidence) -> None:
        if self.recipe.step(record.subject_id) is None:
            raise _at(
                record,
                f"step {record.subject_id!r} is not a step of the batch's recipe as its master "
                "and the redlines approved before this record make it",
            )
        self.recorded.setdefault(record.subject_id, record.seq)

    def _proposal(self, record: RecordEvidence) -> None:
        try:
            content = RedlineContent.of(record.detail)
        except (Refusal, ValidationError) as exc:
            raise _at(record, f"its detail is not a redline's content: {exc}") from None
        self.proposals[record.subject_id] = (content, record.user_id)

    def _decision(self, record: RecordEvidence) -> None:
        rid = record.subject_id
        if record.meaning not in (Meaning.APPROVED.value, Meaning.REJECTED.value):
            raise _at(record, f"a redline is not decided with the meaning {record.meaning!r}")
        if rid not in self.proposals:
            raise _at(record, f"redline {rid} is decided before it was proposed")
        if rid in self.decided:
            raise _at(record, f"redline {rid} is decided a second time")
        content, proposer = self.proposals[rid]
        try:
            named = DecisionDetail.of(record.detail).content_hash
        except Refusal as exc:
            raise _at(record, exc.message) from None
        if named != content.content_hash():
            raise _at(record, f"it names content {named}, not its proposal's")
        if record.user_id == proposer:
            raise _at(record, f"redline {rid} is decided by its own proposer, {proposer}")
        self.decided.add(rid)
        if record.meaning == Meaning.APPROVED.value:
            self._apply(record, content)

    def _apply(self, record: RecordEvidence, content: RedlineContent) -> None:
        try:
            after = apply_redline(self.recipe, content)
        except Refusal as exc:
            raise _at(record, f"the approved redline does not apply: {exc.message}") from None
        order = {step.id: index for index, step in enumerate(after.steps())}
        for change in content.changes:
            if not isinstance(change, AddStep):
                continue
            later = [s for s in self.recorded if order[s] > order[change.step.id]]
            if later:
                raise _at(
                    record,
                    f"it adds step {change.step.id!r} before step {later[0]!r}, which has a "
                    f"record before it (seq {self.recorded[later[0]]})",
                )
        for step_id in touched(content):
            if step_id in self.recorded:
                raise _at(
                    record,
                    f"it changes step {step_id!r}, which has a record before it "
                    f"(seq {self.recorded[step_id]})",
                )
        self.recipe = after
        self.applied += 1


def _at(record: RecordEvidence, problem: str) -> Inconsistency:
    return Inconsistency(table=TABLE, entry=record.record_id, problem=problem)
