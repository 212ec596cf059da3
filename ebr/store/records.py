"""The step_records table: the batch record itself, append-only, one row per signed action."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Text, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select

from ebr.domain.records import Meaning, StepRecord
from ebr.domain.values import RecordedValue
from ebr.store.batches import get_batch
from ebr.store.columns import UTCDateTime, as_utc
from ebr.store.errors import Conflict, NotFound, StoreError
from ebr.store.keyed import insert_once

__all__ = [
    "get_step_record",
    "SignedPayload",
    "StepRecordRow",
    "insert_step_record",
    "latest_record_hash",
    "list_step_records",
    "record_of",
]

_CONTENT_FIELDS = [
    "batch_id",
    "seq",
    "step_id",
    "execution",
    "meaning",
    "values",
    "comment",
    "user_id",
    "user_name",
    "station",
    "recorded_at",
    "payload",
    "record_hash",
    "prev_hash",
    "signature",
    "key_id",
    "corrects",
]


@dataclass(frozen=True, kw_only=True)
class SignedPayload:
    """What makes a record signed evidence, as the signing layer produced it; stored verbatim.

    ``payload`` is the record's RFC 8785 canonical JSON text, exactly the bytes (UTF-8) that were
    signed; ``record_hash`` the lowercase hex SHA-256 of those bytes; ``prev_hash`` the
    ``record_hash`` of the batch's previous record (the chain; ``ebr.domain.signed.GENESIS`` for a
    batch's first record); ``signature`` the base64 Ed25519 signature over ``payload``;
    ``key_id`` names the user key (``user_keys``) whose certificate verifies it.
    """

    payload: str
    record_hash: str
    prev_hash: str
    signature: str
    key_id: str


class StepRecordRow(SQLModel, table=True):
    """One entry of a batch record. Rows are only ever inserted: never updated, never deleted
    (triggers refuse both, migration 0003)."""

    __tablename__ = "step_records"
    __table_args__ = (UniqueConstraint("batch_id", "seq", name="uq_step_records_batch_seq"),)

    record_id: str = Field(primary_key=True)
    batch_id: str = Field(
        sa_column_args=[ForeignKey("batches.batch_id", name="fk_step_records_batch_id")],
        index=True,
    )
    seq: int
    step_id: str
    execution: int
    meaning: str
    values: list[dict[str, Any]] = Field(sa_type=JSON)
    comment: str | None = None
    user_id: str
    user_name: str
    station: str
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    # Signed evidence (see SignedPayload); empty on records written before records were signed.
    payload: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    record_hash: str | None = Field(default=None, max_length=64)
    prev_hash: str | None = None
    signature: str | None = None
    key_id: str | None = None
    # The record_id of the record this one corrects; the corrected record itself stays as it was.
    corrects: str | None = None


def insert_step_record(
    *,
    session: Session,
    record: StepRecord,
    signed: SignedPayload | None = None,
    corrects: str | None = None,
) -> tuple[StepRecordRow, bool]:
    """Append a record once; return ``(row, created)``.

    ``record_id`` is the idempotency key: a retry with the same content (signature and
    ``corrects`` included) returns the stored row. The same id with other content, or another id
    taking a used (batch, seq), is a Conflict: the record is evidence, and evidence is never
    silently replaced. ``signed`` is checked only for consistency (``record_hash`` must be the
    SHA-256 of ``payload``, else StoreError), since a stored row can never be fixed afterwards;
    the signature itself is the signing layer's to verify.
    """
    if signed is not None:
        _check_hash(record.record_id, signed)
    row = StepRecordRow(
        record_id=record.record_id,
        batch_id=record.batch_id,
        seq=record.seq,
        step_id=record.step_id,
        execution=record.execution,
        meaning=Meaning(record.meaning).value,
        values=[value.model_dump(mode="json") for value in record.values],
        comment=record.comment,
        user_id=record.user_id,
        user_name=record.user_name,
        station=record.station,
        recorded_at=as_utc(record.recorded_at),
        corrects=corrects,
    )
    if signed is not None:
        row.payload = signed.payload
        row.record_hash = signed.record_hash
        row.prev_hash = signed.prev_hash
        row.signature = signed.signature
        row.key_id = signed.key_id
    return insert_once(
        session=session,
        row=row,
        fields=_CONTENT_FIELDS,
        find=lambda: session.get(StepRecordRow, record.record_id, populate_existing=True),
        differs=lambda _, changed: Conflict(
            f"record {record.record_id!r} already exists with a different {', '.join(changed)}",
            {"record_id": record.record_id, "fields": changed},
        ),
        collides=lambda: _collision(session, record),
    )


def _check_hash(record_id: str, signed: SignedPayload) -> None:
    actual = hashlib.sha256(signed.payload.encode("utf-8")).hexdigest()
    if signed.record_hash != actual:
        raise StoreError(
            f"record {record_id!r}: record_hash is not the SHA-256 of its payload",
            {"record_id": record_id, "record_hash": signed.record_hash, "actual": actual},
        )


def _collision(session: Session, record: StepRecord) -> StoreError:
    """Why an insert failed when no row has its id: its seq is taken, or its batch is unknown."""
    query = select(StepRecordRow).where(
        StepRecordRow.batch_id == record.batch_id, StepRecordRow.seq == record.seq
    )
    holder = session.exec(query).first()
    if holder is not None:
        return Conflict(
            f"seq {record.seq} of batch {record.batch_id!r} is already record "
            f"{holder.record_id!r}, not {record.record_id!r}",
            {"batch_id": record.batch_id, "seq": record.seq, "record_id": holder.record_id},
        )
    if get_batch(session=session, batch_id=record.batch_id) is None:
        return NotFound(f"batch {record.batch_id!r} does not exist", {"batch_id": record.batch_id})
    return StoreError(f"record {record.record_id!r} could not be stored")


def list_step_records(*, session: Session, batch_id: str) -> list[StepRecordRow]:
    """A batch's records in the order they were made."""
    query = select(StepRecordRow).where(StepRecordRow.batch_id == batch_id)
    return list(session.exec(query.order_by(col(StepRecordRow.seq))).all())


def get_step_record(*, session: Session, record_id: str) -> StepRecordRow | None:
    return session.get(StepRecordRow, record_id)


def latest_record_hash(*, session: Session, batch_id: str) -> tuple[int, str | None]:
    """The batch's highest seq and that record's ``record_hash``: what the next record chains to.

    ``(0, None)`` for a batch without records; ``(seq, None)`` if its newest record is unsigned.
    """
    query = (
        select(StepRecordRow.seq, StepRecordRow.record_hash)
        .where(StepRecordRow.batch_id == batch_id)
        .order_by(col(StepRecordRow.seq).desc())
        .limit(1)
    )
    newest = session.exec(query).first()
    return (0, None) if newest is None else (newest[0], newest[1])


def record_of(row: StepRecordRow) -> StepRecord:
    """The StepRecord a row holds, validated again so a damaged row cannot pass as evidence."""
    try:
        return _validated(row)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise StoreError(f"stored record {row.record_id!r} is damaged: {exc}") from exc


def _validated(row: StepRecordRow) -> StepRecord:
    return StepRecord(
        record_id=row.record_id,
        batch_id=row.batch_id,
        seq=row.seq,
        step_id=row.step_id,
        execution=row.execution,
        meaning=Meaning(row.meaning),
        values=tuple(RecordedValue.model_validate(value) for value in row.values),
        comment=row.comment,
        user_id=row.user_id,
        user_name=row.user_name,
        station=row.station,
        recorded_at=row.recorded_at,
    )
