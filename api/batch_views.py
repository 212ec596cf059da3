"""Reading batches from the record store and shaping them for the API."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlmodel import Session

from api.refusals import RecipeMissing
from api.schemas import (
    BatchDetail,
    BatchSummary,
    RecordView,
    SignatureView,
    StepView,
)
from ebr.domain.batch import BatchHeader, BatchState, BatchStatus, StepStatus
from ebr.domain.deviation_decisions import Decision
from ebr.domain.deviations import Deviation
from ebr.domain.meanings import Meaning
from ebr.domain.recipe import Quantity, Recipe
from ebr.domain.refusals import BatchNotFound
from ebr.domain.signed_records import RecordPayload, SignedRecord
from ebr.domain.step_verification import needs_verification, step_status, verification_reason
from ebr.domain.subjects import Subject, SubjectKind
from ebr.store.batch_events import load_batch_events
from ebr.store.batches import BatchRow, get_batch, header_of
from ebr.store.recipes import get_recipe_by_hash, recipe_of
from ebr.store.redlines import effective_recipe
from ebr.store.signed_records import SignedRecordRow, list_batch_records, record_of


def stored_batch(*, session: Session, batch_id: str) -> BatchRow:
    """The batch's row; ``batch_not_found`` when the store has no batch of that id."""
    row = get_batch(session=session, batch_id=batch_id)
    if row is None:
        raise BatchNotFound(f"there is no batch {batch_id}", {"batch_id": batch_id})
    return row


def master_recipe(*, session: Session, row: BatchRow) -> Recipe:
    """The recipe version the batch was started on (by its hash); ``recipe_missing`` when the
    store lost it."""
    recipe_row = get_recipe_by_hash(session=session, content_hash=row.recipe_hash)
    if recipe_row is None:
        raise RecipeMissing(f"the recipe of batch {row.batch_id} is missing")
    return recipe_of(recipe_row)


def batch_recipe(*, session: Session, row: BatchRow) -> Recipe:
    """The recipe the batch runs: its recipe version with the redlines QA approved for it."""
    master = master_recipe(session=session, row=row)
    return effective_recipe(session=session, batch_id=row.batch_id, master=master)


def batch_summary(row: BatchRow) -> BatchSummary:
    return BatchSummary(
        batch_id=row.batch_id,
        batch_number=row.batch_number,
        recipe_code=row.recipe_code,
        recipe_version=row.recipe_version,
        recipe_hash=row.recipe_hash,
        product_code=row.product_code,
        planned_quantity=Quantity.model_validate(
            {"value": row.planned_value, "unit": row.planned_unit}
        ),
        status=BatchStatus(row.status),
        steps_total=row.steps_total,
        steps_done=row.steps_done,
        created_by=row.created_by,
        created_at=row.created_at,
        completed_at=row.completed_at,
        updated_at=row.updated_at,
    )


def row_view(row: SignedRecordRow) -> RecordView:
    """A stored record with its signature."""
    return record_view(record_of(row)).model_copy(
        update={
            "signed": SignatureView(
                key_id=row.key_id,
                signature=row.signature,
                record_hash=row.record_hash,
                prev_hash=row.prev_hash,
                payload=row.payload,
            ),
        }
    )


def signed_view(
    payload: RecordPayload, *, canonical: bytes, signature: str, key_id: str
) -> RecordView:
    """The view of a record just signed and stored: the same as ``row_view`` of its row."""
    return record_view(payload.to_record()).model_copy(
        update={
            "signed": SignatureView(
                key_id=key_id,
                signature=signature,
                record_hash=hashlib.sha256(canonical).hexdigest(),
                prev_hash=payload.prev_hash,
                payload=canonical.decode("utf-8"),
            ),
        }
    )


def step_label(subject: Subject) -> str:
    """A record's ``step_id`` as the API has always shown it: a step's id, or for a decision
    ``@batch``, ``@deviation:<id>``, ``@hold:<id>``, ``@redline:<id>`` (a label only: ``subject``
    is the typed form)."""
    if subject.kind is SubjectKind.BATCH_STEP:
        return subject.id
    if subject.kind is SubjectKind.BATCH:
        return "@batch"
    return f"@{subject.kind.value}:{subject.id}"


def record_view(record: SignedRecord) -> RecordView:
    return RecordView(
        record_id=record.record_id,
        seq=record.seq,
        subject=record.subject,
        step_id=step_label(record.subject),
        execution=record.execution,
        meaning=record.meaning,
        values=list(record.values),
        comment=record.comment,
        reason=record.reason,
        corrects=record.corrects,
        detail=record.detail,
        manifestation=record.manifestation,
    )


def batch_detail(*, session: Session, batch_id: str) -> BatchDetail:
    """The batch with every step of the recipe it runs (its master's, as its approved redlines
    change them), in order, and the records made against each."""
    row = stored_batch(session=session, batch_id=batch_id)
    recipe = batch_recipe(session=session, row=row)
    rows = list_batch_records(session=session, batch_id=batch_id)
    records = [record_of(r) for r in rows]
    events = load_batch_events(session=session, batch_id=batch_id)
    state = progress_of(header_of(row), recipe, records, events.deviations)
    steps = _step_views(recipe, state, [row_view(r) for r in rows])
    next_step = next((s.step_id for s in steps if s.status is not StepStatus.DONE), None)
    return BatchDetail(**batch_summary(row).model_dump(), next_step=next_step, steps=steps)


def progress_of(
    header: BatchHeader,
    recipe: Recipe,
    records: Sequence[SignedRecord],
    deviations: Sequence[Deviation],
) -> BatchState:
    """Each step's progress as the store shows it, for pages and the review (not for deciding:
    the workflow decides on its own state, and writes records before it moves on).

    A step's current execution is 1 plus the rework dispositions that named it (each opens the
    step again as the next execution, ``status.apply_reopen``); its status comes from that
    execution's records alone (``step_verification.step_status``), so a step opened again is
    pending until it is done again, and a corrected one awaits its verification again.
    """
    state = BatchState.start(header, recipe)
    for dev in deviations:
        ruling = dev.disposition
        if ruling is not None and ruling.decision is Decision.REWORK:
            for progress in state.steps:
                if progress.step_id in set(ruling.rework_steps):
                    progress.execution += 1
    by_execution: dict[tuple[str, int], list[SignedRecord]] = {}
    for r in records:
        if r.step_id is not None:
            by_execution.setdefault((r.step_id, r.execution), []).append(r)
    for progress in state.steps:
        step = recipe.step(progress.step_id)
        assert step is not None
        mine = by_execution.get((progress.step_id, progress.execution), [])
        progress.status = step_status(step, mine)
        for r in mine:
            if r.meaning is Meaning.PERFORMED:
                progress.performed_by, progress.performed_at = r.user_id, r.recorded_at
            elif r.meaning is Meaning.VERIFIED and progress.status is StepStatus.DONE:
                progress.verified_by, progress.verified_at = r.user_id, r.recorded_at
    return state


def _step_views(recipe: Recipe, state: BatchState, views_of: list[RecordView]) -> list[StepView]:
    shown: dict[str, list[RecordView]] = {}
    for view in views_of:
        shown.setdefault(view.step_id, []).append(view)
    views: list[StepView] = []
    for unit in recipe.procedure:
        for operation in unit.operations:
            for step in operation.steps:
                views.append(
                    StepView(
                        step_id=step.id,
                        name=step.name,
                        kind=step.kind.value,
                        role=step.role,
                        verify=needs_verification(step),
                        verify_reason=verification_reason(step),
                        unit_procedure=unit.name,
                        operation=operation.name,
                        instructions=step.instructions,
                        inputs=[spec.model_dump(mode="json") for spec in step.inputs],
                        status=_current_status(state, step.id),
                        records=shown.get(step.id, []),
                    )
                )
    return views


def _current_status(state: BatchState, step_id: str) -> StepStatus:
    progress = state.progress(step_id)
    assert progress is not None
    return progress.status


def records_of_batch(*, session: Session, batch_id: str) -> list[RecordView]:
    stored_batch(session=session, batch_id=batch_id)
    return [row_view(r) for r in list_batch_records(session=session, batch_id=batch_id)]
