"""Checking the batch rows against the history they project: status and steps done.

The ``batches`` table is what lists, filters and the pages read, so a rewritten row is a lie told
to every reader (a rejected batch shown released). Every write of a batch row is audited with the
row as it leaves it (a record's entry carries ``batch``: status and steps done; a hold's status
change is a ``status_changed`` entry), and the final decisions are signed: so each row must be
the last state its audit entries say, and a released or rejected batch must have the signed
record that decided it. The audit log and the records are checked before this runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ebr.domain.batch import BatchStatus
from ebr.domain.meanings import Meaning
from ebr.domain.subjects import ChainKind, SubjectKind
from ebr.verification.evidence import RecordEvidence
from ebr.verification.findings import Inconsistency

__all__ = ["AuditedState", "BatchProjection", "audited_states", "check_batch_rows", "deciders"]

TABLE = "batches"
_RECORD_ACTIONS = ("record_signed", "record_corrected")


@dataclass
class AuditedState:
    """A batch as its audit entries leave it: the last status and steps done, and where."""

    status: str = BatchStatus.IN_PROGRESS.value
    steps_done: int = 0
    status_idx: int | None = None
    steps_idx: int | None = None


@dataclass(frozen=True)
class BatchProjection:
    """A batch row, as read."""

    batch_id: str
    status: str
    steps_done: int


def audited_states(entries: Iterable[tuple[int, str, str | None, Any]]) -> dict[str, AuditedState]:
    """From ``(idx, action, batch_id, new_value)`` in log order: each batch's last audited state."""
    states: dict[str, AuditedState] = {}
    for idx, action, batch_id, new_value in entries:
        if batch_id is None:
            continue
        state = states.setdefault(batch_id, AuditedState())
        if action == "status_changed" and isinstance(new_value, str):
            state.status, state.status_idx = new_value, idx
        elif action in _RECORD_ACTIONS and isinstance(new_value, dict):
            batch = new_value.get("batch")
            if isinstance(batch, dict):
                state.status, state.status_idx = str(batch.get("status")), idx
                state.steps_done, state.steps_idx = int(batch.get("steps_done") or 0), idx
    return states


def deciders(records: Iterable[RecordEvidence]) -> dict[str, dict[str, str]]:
    """By batch id: the signed record that released it, and the one that rejected it (a QA
    rejection, or a deviation's disposition to reject), each by record id."""
    found: dict[str, dict[str, str]] = {}
    for record in records:
        if record.chain_kind != ChainKind.BATCH:
            continue
        decided = _decision(record)
        if decided is not None:
            found.setdefault(record.chain_id, {})[decided] = f"{record.chain_id} seq {record.seq}"
    return found


def check_batch_rows(
    rows: Iterable[BatchProjection],
    states: Mapping[str, AuditedState],
    decided: Mapping[str, Mapping[str, str]],
) -> None:
    """Each row is its audited state, and a final status has its signed decision.

    Raises:
        Inconsistency: table ``batches`` naming the batch and the difference.
    """
    for row in rows:
        state = states.get(row.batch_id, AuditedState())
        if row.status != state.status:
            where = f"audit_log idx {state.status_idx}" if state.status_idx else "its start"
            raise Inconsistency(
                table=TABLE,
                entry=row.batch_id,
                problem=f"its status is {row.status}, but {where} left it {state.status}",
            )
        if row.steps_done != state.steps_done:
            where = f"audit_log idx {state.steps_idx}" if state.steps_idx else "its start"
            raise Inconsistency(
                table=TABLE,
                entry=row.batch_id,
                problem=f"{row.steps_done} steps are done, but {where} left "
                f"{state.steps_done} done",
            )
        final = row.status in (BatchStatus.RELEASED.value, BatchStatus.REJECTED.value)
        if final and row.status not in decided.get(row.batch_id, {}):
            raise Inconsistency(
                table=TABLE,
                entry=row.batch_id,
                problem=f"its status is {row.status}, and no signed record of its chain "
                f"decided it {row.status}",
            )


def _decision(record: RecordEvidence) -> str | None:
    if record.subject_kind == SubjectKind.BATCH and record.meaning == Meaning.RELEASED:
        return BatchStatus.RELEASED.value
    if record.subject_kind == SubjectKind.BATCH and record.meaning == Meaning.REJECTED:
        return BatchStatus.REJECTED.value
    detail = record.detail if isinstance(record.detail, dict) else {}
    if record.subject_kind == SubjectKind.DEVIATION and detail.get("decision") == "reject":
        return BatchStatus.REJECTED.value
    return None
