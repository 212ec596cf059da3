"""The batches table: each batch's header and a projection of its progress for lists and reports."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select

from ebr.domain.batch import BatchHeader, BatchStatus
from ebr.domain.recipe import Quantity
from ebr.store.columns import UTCDateTime, as_utc
from ebr.store.errors import Conflict, NotFound, StoreError
from ebr.store.keyed import insert_once

__all__ = [
    "BatchRow",
    "get_batch",
    "header_of",
    "insert_batch",
    "list_batches",
    "update_batch_progress",
]

# What a batch is; a retried insert must match these. Status and counts are progress, not identity.
_HEADER_FIELDS = [
    "batch_number",
    "recipe_code",
    "recipe_version",
    "recipe_hash",
    "product_code",
    "planned_value",
    "planned_unit",
    "steps_total",
    "created_by",
    "created_at",
]


class BatchRow(SQLModel, table=True):
    """A batch. The header never changes; status, counts and times mirror the workflow's state."""

    __tablename__ = "batches"
    __table_args__ = (UniqueConstraint("batch_number", name="uq_batches_batch_number"),)

    batch_id: str = Field(primary_key=True)
    batch_number: str
    recipe_code: str = Field(index=True)
    recipe_version: int
    recipe_hash: str
    product_code: str
    planned_value: str
    planned_unit: str
    status: str = Field(index=True)
    steps_total: int
    steps_done: int = 0
    # The seq of the step record whose write last set the progress; older writes are ignored.
    progress_seq: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_by: str
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


def insert_batch(
    *, session: Session, header: BatchHeader, steps_total: int
) -> tuple[BatchRow, bool]:
    """Store a new batch once; return ``(row, created)``.

    A retry with the same header returns the stored row (whatever progress it has made since).
    The same batch id with another header, or the batch number of another batch, is a Conflict.
    """
    created_at = as_utc(header.created_at)
    row = BatchRow(
        batch_id=header.batch_id,
        batch_number=header.batch_number,
        recipe_code=header.recipe_code,
        recipe_version=header.recipe_version,
        recipe_hash=header.recipe_hash,
        product_code=header.product_code,
        planned_value=str(header.planned_quantity.value),
        planned_unit=header.planned_quantity.unit,
        status=BatchStatus.IN_PROGRESS.value,
        steps_total=steps_total,
        created_by=header.created_by,
        created_at=created_at,
        updated_at=created_at,
    )
    return insert_once(
        session=session,
        row=row,
        fields=_HEADER_FIELDS,
        find=lambda: get_batch(session=session, batch_id=header.batch_id),
        differs=lambda _, changed: Conflict(
            f"batch {header.batch_id!r} already exists with a different {', '.join(changed)}",
            {"batch_id": header.batch_id, "fields": changed},
        ),
        collides=lambda: _number_taken(session, header),
    )


def _number_taken(session: Session, header: BatchHeader) -> StoreError:
    query = select(BatchRow).where(BatchRow.batch_number == header.batch_number)
    other = session.exec(query).first()
    holder = f" by batch {other.batch_id!r}" if other else ""
    return Conflict(
        f"batch number {header.batch_number!r} is already used{holder}",
        {"batch_number": header.batch_number, "batch_id": other.batch_id if other else None},
    )


def update_batch_progress(
    *,
    session: Session,
    batch_id: str,
    status: BatchStatus,
    steps_done: int,
    completed_at: datetime | None,
    at: datetime,
    seq: int,
    steps_total: int | None = None,
) -> BatchRow:
    """Set the batch's progress projection as of record ``seq``; an older or repeated write is a no-op.

    ``steps_total`` changes the number of the batch's steps (a redline QA approved added some).

    The workflow holds the truth; this row lets lists and reports read progress without asking it.
    Ordering by ``seq`` means an activity attempt that Temporal gave up on, committing late, cannot
    put back progress that a newer record already moved past.
    """
    row = get_batch(session=session, batch_id=batch_id)
    if row is None:
        raise NotFound(f"batch {batch_id!r} does not exist", {"batch_id": batch_id})
    if seq <= row.progress_seq:
        return row
    if steps_total is not None:
        row.steps_total = steps_total
    if not 0 <= steps_done <= row.steps_total:
        raise StoreError(
            f"batch {batch_id!r} has {row.steps_total} steps; {steps_done} cannot be done",
            {"batch_id": batch_id, "steps_done": steps_done},
        )
    row.status = BatchStatus(status).value
    row.steps_done = steps_done
    row.completed_at = None if completed_at is None else as_utc(completed_at)
    row.updated_at = as_utc(at)
    row.progress_seq = seq
    session.add(row)
    session.flush()
    return row


def set_batch_status(
    *, session: Session, batch_id: str, status: BatchStatus, at: datetime
) -> BatchRow:
    """Set only the batch's status projection (a hold placed or lifted); progress is untouched.

    Idempotent: writing the status a row already has changes nothing but ``updated_at``.
    """
    row = get_batch(session=session, batch_id=batch_id)
    if row is None:
        raise NotFound(f"batch {batch_id!r} does not exist", {"batch_id": batch_id})
    row.status = BatchStatus(status).value
    row.updated_at = as_utc(at)
    session.add(row)
    session.flush()
    return row


def get_batch(*, session: Session, batch_id: str) -> BatchRow | None:
    return session.get(BatchRow, batch_id)


def list_batches(
    *,
    session: Session,
    status: BatchStatus | None = None,
    recipe_code: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[BatchRow]:
    """Batches newest first (by creation time, then id so pages are stable), optionally filtered."""
    query = select(BatchRow)
    if status is not None:
        query = query.where(BatchRow.status == BatchStatus(status).value)
    if recipe_code is not None:
        query = query.where(BatchRow.recipe_code == recipe_code)
    query = query.order_by(col(BatchRow.created_at).desc(), col(BatchRow.batch_id).desc())
    return list(session.exec(query.limit(limit).offset(offset)).all())


def header_of(row: BatchRow) -> BatchHeader:
    """The BatchHeader a row holds; the planned quantity comes back as the exact Decimal stored."""
    return BatchHeader(
        batch_id=row.batch_id,
        batch_number=row.batch_number,
        recipe_code=row.recipe_code,
        recipe_version=row.recipe_version,
        recipe_hash=row.recipe_hash,
        product_code=row.product_code,
        planned_quantity=Quantity(value=Decimal(row.planned_value), unit=row.planned_unit),
        created_by=row.created_by,
        created_at=row.created_at,
    )
