"""Reading batches from the record store and shaping them for the API."""

from __future__ import annotations

import hashlib
import json

from sqlmodel import Session

from api.errors import ApiError
from api.schemas import (
    BatchDetail,
    BatchSummary,
    Manifestation,
    RecordView,
    SignatureView,
    StepView,
)
from ebr.domain.batch import BatchStatus, StepStatus
from ebr.domain.recipe import Quantity, Recipe
from ebr.domain.records import Meaning, StepRecord
from ebr.domain.signed import RecordPayload
from ebr.store.batches import BatchRow, get_batch
from ebr.store.recipes import get_recipe_by_hash, recipe_of
from ebr.store.records import StepRecordRow, list_step_records, record_of


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


def row_view(row: StepRecordRow) -> RecordView:
    """A stored record with its signature, reason and the record it corrects."""
    view = record_view(record_of(row))
    if row.payload is None:
        return view
    assert row.signature and row.key_id and row.record_hash and row.prev_hash
    payload = json.loads(row.payload)
    return view.model_copy(
        update={
            "reason": payload.get("reason"),
            "corrects": row.corrects,
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
            "reason": payload.reason,
            "corrects": payload.corrects,
            "signed": SignatureView(
                key_id=key_id,
                signature=signature,
                record_hash=hashlib.sha256(canonical).hexdigest(),
                prev_hash=payload.prev_hash,
                payload=canonical.decode("utf-8"),
            ),
        }
    )


def record_view(record: StepRecord) -> RecordView:
    return RecordView(
        record_id=record.record_id,
        seq=record.seq,
        step_id=record.step_id,
        execution=record.execution,
        meaning=record.meaning,
        values=list(record.values),
        comment=record.comment,
        manifestation=Manifestation(
            full_name=record.user_name,
            user_id=record.user_id,
            at=record.recorded_at,
            meaning=record.meaning,
            station=record.station,
        ),
    )


def batch_detail(*, session: Session, batch_id: str) -> BatchDetail:
    """The batch with every step of its recipe, in order, and the records made against each."""
    row = get_batch(session=session, batch_id=batch_id)
    if row is None:
        raise ApiError(
            404, "batch_not_found", f"there is no batch {batch_id}", {"batch_id": batch_id}
        )
    recipe_row = get_recipe_by_hash(session=session, content_hash=row.recipe_hash)
    if recipe_row is None:
        raise ApiError(500, "recipe_missing", f"the recipe of batch {batch_id} is missing")
    recipe = recipe_of(recipe_row)
    rows = list_step_records(session=session, batch_id=batch_id)
    steps = _step_views(recipe, [record_of(r) for r in rows], [row_view(r) for r in rows])
    next_step = next((s.step_id for s in steps if s.status is not StepStatus.DONE), None)
    return BatchDetail(**batch_summary(row).model_dump(), next_step=next_step, steps=steps)


def _step_views(
    recipe: Recipe, records: list[StepRecord], views_of: list[RecordView]
) -> list[StepView]:
    by_step: dict[str, list[StepRecord]] = {}
    shown: dict[str, list[RecordView]] = {}
    for record, view in zip(records, views_of, strict=True):
        by_step.setdefault(record.step_id, []).append(record)
        shown.setdefault(record.step_id, []).append(view)
    views: list[StepView] = []
    for unit in recipe.procedure:
        for operation in unit.operations:
            for step in operation.steps:
                mine = by_step.get(step.id, [])
                views.append(
                    StepView(
                        step_id=step.id,
                        name=step.name,
                        kind=step.kind.value,
                        role=step.role,
                        verify=step.verify,
                        unit_procedure=unit.name,
                        operation=operation.name,
                        instructions=step.instructions,
                        inputs=[spec.model_dump(mode="json") for spec in step.inputs],
                        status=_status(step.verify, mine),
                        records=shown.get(step.id, []),
                    )
                )
    return views


def records_of_batch(*, session: Session, batch_id: str) -> list[RecordView]:
    if get_batch(session=session, batch_id=batch_id) is None:
        raise ApiError(
            404, "batch_not_found", f"there is no batch {batch_id}", {"batch_id": batch_id}
        )
    return [row_view(r) for r in list_step_records(session=session, batch_id=batch_id)]


def _status(needs_verification: bool, records: list[StepRecord]) -> StepStatus:
    """A step's status as its records show it; the workflow writes records before it moves on."""
    meanings = {r.meaning for r in records}
    if Meaning.PERFORMED not in meanings:
        return StepStatus.PENDING
    if needs_verification and Meaning.VERIFIED not in meanings:
        return StepStatus.AWAITING_VERIFICATION
    return StepStatus.DONE
