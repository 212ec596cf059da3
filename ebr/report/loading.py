"""Reading a batch's history from the store: the facts the batch detail shows, plus evidence."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from ebr.domain.meanings import Meaning
from ebr.domain.recipe import Recipe, Step
from ebr.domain.redlines import Redline, effective, redlines_of
from ebr.domain.refusals import Refusal
from ebr.domain.signed_records import SignedRecord
from ebr.domain.step_verification import needs_verification, step_status, verification_reason
from ebr.domain.values import RecordedValue
from ebr.report.decisions import batch_decision, decisions_of
from ebr.report.events import deviation_sections, hold_sections, review_lines, timer_lines
from ebr.report.evidence import audit_evidence, audit_line, certificates_of, record_evidence
from ebr.report.exception_summary import exceptions_of
from ebr.report.history import (
    BatchHistory,
    OperationHistory,
    RecordLine,
    StepHistory,
    ValueLine,
    display_value,
    limits_text,
)
from ebr.report.redlines import redline_sections
from ebr.store.batch_events import BatchEvents, load_batch_events
from ebr.store.batches import BatchRow, get_batch
from ebr.store.errors import NotFound, StoreError
from ebr.store.recipe_versions import recipe_version
from ebr.store.recipes import get_recipe_by_hash, recipe_of
from ebr.store.signed_records import SignedRecordRow, list_batch_records, record_of
from ebr.store.users import get_user

__all__ = ["load_history"]


def load_history(*, session: Session, batch_id: str, now: datetime | None = None) -> BatchHistory:
    """The batch's history as the report shows it, read from the store.

    Steps are the recipe the batch ran (its master with the redlines QA approved) and show their
    own records; the signed decisions are shown where ``decisions.PLACES`` puts their subject's
    kind: the release or rejection on the cover, a disposition with its deviation, a lift with
    its hold, a redline's proposal and decision with the redline. The attached evidence carries every record of the batch's
    chain. ``now`` ends an active hold's duration.

    Raises:
        NotFound: there is no such batch.
        StoreError: its recipe is missing or altered, or a record row is damaged.
    """
    row = get_batch(session=session, batch_id=batch_id)
    if row is None:
        raise NotFound(f"batch {batch_id!r} does not exist", {"batch_id": batch_id})
    recipe_row = get_recipe_by_hash(session=session, content_hash=row.recipe_hash)
    if recipe_row is None:
        raise StoreError(f"the recipe of batch {batch_id!r} is missing", {"batch_id": batch_id})
    master = recipe_of(recipe_row)
    rows = list_batch_records(session=session, batch_id=batch_id)
    records = [record_of(row) for row in rows]
    redlines = _redlines(batch_id, records)
    recipe = _ran(batch_id, master, redlines)
    operations = _operations(recipe, list(zip(rows, records, strict=True)))
    decisions = decisions_of(records)
    decision = batch_decision(decisions, batch_id)
    events = load_batch_events(session=session, batch_id=batch_id)
    names = _names(session, records, events)
    steps = {s.step_id: f"{s.position}. {s.name}" for o in operations for s in o.steps}
    audit = audit_evidence(session=session, batch_id=batch_id)
    return BatchHistory(
        **_cover(row, master),
        **_master(session, row),
        decision=decision.manifestation if decision else None,
        decision_reason=decision.reason if decision else None,
        operations=operations,
        exceptions=exceptions_of(operations),
        reviews=review_lines(records, events, names=names),
        deviations=deviation_sections(events.deviations, decisions, names=names, steps=steps),
        holds=hold_sections(events.holds, decisions, names=names, now=now or datetime.now(UTC)),
        redlines=redline_sections(redlines, records, master=master, batch=recipe),
        timer_events=timer_lines(events, steps=steps),
        audit=tuple(audit_line(entry) for entry in audit),
        evidence_records=tuple(record_evidence(r) for r in rows),
        evidence_audit=tuple(audit),
        certificates_pem=certificates_of(session=session, rows=rows),
    )


def _redlines(batch_id: str, records: list[SignedRecord]) -> list[Redline]:
    try:
        return redlines_of(records)
    except ValueError as exc:  # pydantic's ValidationError: a proposal that is no redline
        raise StoreError(f"a redline of batch {batch_id!r} cannot be read: {exc}") from exc


def _ran(batch_id: str, master: Recipe, redlines: list[Redline]) -> Recipe:
    """The recipe the batch ran: its master with the redlines QA approved, in order."""
    try:
        return effective(master, redlines)
    except Refusal as exc:
        raise StoreError(f"the redlines of batch {batch_id!r} do not apply: {exc}") from exc


def _names(session: Session, records: list[SignedRecord], events: BatchEvents) -> dict[str, str]:
    """Printed names of everyone the sections name by user id (signers give theirs)."""
    names = {r.user_id: r.user_name for r in records}
    wanted: set[str] = {m.by for m in events.marks} | {h.placed_by for h in events.holds}
    wanted |= {h.lifted_by for h in events.holds if h.lifted_by}
    for dev in events.deviations:
        wanted |= {dev.opened_by, dev.classified_by or ""}
        wanted |= {dev.investigation.by} if dev.investigation else set()
        wanted |= {dev.disposition.by} if dev.disposition else set()
    for user_id in sorted(wanted - set(names) - {""}):
        user = get_user(session=session, user_id=user_id)
        if user is not None:
            names[user_id] = user.full_name
    return names


def _cover(row: BatchRow, recipe: Recipe) -> dict[str, Any]:
    return {
        "batch_id": row.batch_id,
        "batch_number": row.batch_number,
        "product_code": row.product_code,
        "product_name": recipe.product.name,
        "recipe_code": row.recipe_code,
        "recipe_version": row.recipe_version,
        "recipe_name": recipe.name,
        "recipe_hash": row.recipe_hash,
        "planned_quantity": f"{row.planned_value} {row.planned_unit}",
        "status": row.status,
        "created_by": row.created_by,
        "created_at": row.created_at,
        "completed_at": row.completed_at,
    }


def _master(session: Session, row: BatchRow) -> dict[str, Any]:
    """Who authored, reviewed and approved the master recipe version the batch ran, and when."""
    version = recipe_version(session=session, code=row.recipe_code, version=row.recipe_version)
    if version is None:
        return {}
    signed = (version.submitted, version.reviewed, version.approved)
    return {
        "recipe_signatures": tuple(s for s in signed if s is not None),
        "recipe_effective_from": version.effective_from if version.approved else None,
    }


Stored = tuple[SignedRecordRow, SignedRecord]
"""A row and the record it holds (validated once): the row adds the record's hash."""


def _operations(recipe: Recipe, stored: list[Stored]) -> tuple[OperationHistory, ...]:
    by_step: dict[str, list[Stored]] = {}
    for row, record in stored:
        if record.step_id is not None:  # a decision is shown where its subject is, not here
            by_step.setdefault(record.step_id, []).append((row, record))
    position = 0
    operations: list[OperationHistory] = []
    for unit in recipe.procedure:
        for operation in unit.operations:
            steps: list[StepHistory] = []
            for step in operation.steps:
                position += 1
                steps.append(_step(position, step, by_step.get(step.id, [])))
            operations.append(
                OperationHistory(
                    unit_procedure=unit.name, operation=operation.name, steps=tuple(steps)
                )
            )
    return tuple(operations)


def _step(position: int, step: Step, stored: list[Stored]) -> StepHistory:
    lines: list[RecordLine] = []
    current: tuple[ValueLine, ...] = ()
    for row, record in stored:
        values = tuple(_value(step, v) for v in record.values)
        lines.append(
            RecordLine(
                record_id=record.record_id,
                seq=record.seq,
                manifestation=record.manifestation,
                values=values,
                comment=record.comment,
                reason=record.reason,
                corrects=record.corrects,
                original=current if record.meaning is Meaning.CORRECTED else (),
                record_hash=row.record_hash,
            )
        )
        if record.meaning in (Meaning.PERFORMED, Meaning.CORRECTED):
            current = values
    # The status of its latest execution: a correction of a step that needs verification
    # awaits a verification after it (``step_verification.step_status``).
    latest = max((record.execution for _, record in stored), default=1)
    status = step_status(step, [record for _, record in stored if record.execution == latest])
    return StepHistory(
        position=position,
        step_id=step.id,
        name=step.name,
        kind=step.kind.value,
        instructions=_brief(step.instructions),
        verify=needs_verification(step),
        verify_reason=verification_reason(step),
        status=status.value.replace("_", " "),
        records=tuple(lines),
    )


def _value(step: Step, value: RecordedValue) -> ValueLine:
    spec = step.input(value.name)
    return ValueLine(
        name=value.name,
        label=spec.label if spec is not None else value.name,
        display=display_value(value),
        unit=value.unit,
        limits=limits_text(spec) if spec is not None else None,
        entered=value.entered,
        in_spec=value.in_spec,
        critical=value.critical,
    )


def _brief(instructions: str, limit: int = 240) -> str:
    """The instructions in brief: the first paragraph, cut at ``limit`` characters."""
    first = " ".join(instructions.strip().split("\n\n")[0].split())
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"
