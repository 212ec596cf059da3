"""The signed_records table: every signed record of every chain, append-only, one row per signature.

A row is a record (``ebr.domain.signed_records.SignedRecord``) in readable columns, and the
evidence beside it (``SignedEvidence``: the exact signed bytes, their hash, the chain link, the
signature and its key). The columns are there to be read and searched; the payload is what counts,
and ``ebr verify`` checks that each column says what the signed payload says.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Text, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select

from ebr.domain.meanings import Meaning
from ebr.domain.signed_records import SignedRecord
from ebr.domain.subjects import Chain, ChainKind, Subject, SubjectKind, batch_chain
from ebr.domain.values import RecordedValue
from ebr.store.batches import get_batch
from ebr.store.columns import UTCDateTime, as_utc
from ebr.store.errors import Conflict, NotFound, StoreError
from ebr.store.keyed import insert_once

__all__ = [
    "SignedEvidence",
    "SignedRecordRow",
    "chain_head",
    "get_signed_record",
    "insert_signed_record",
    "list_batch_records",
    "list_chain",
    "record_of",
]

_CONTENT_FIELDS = [
    "chain_kind",
    "chain_id",
    "seq",
    "subject_kind",
    "subject_id",
    "batch_id",
    "execution",
    "meaning",
    "values",
    "comment",
    "reason",
    "corrects",
    "detail",
    "recipe_hash",
    "user_id",
    "user_name",
    "station",
    "recorded_at",
    "payload",
    "record_hash",
    "prev_hash",
    "signature",
    "key_id",
]


@dataclass(frozen=True, kw_only=True)
class SignedEvidence:
    """What makes a record signed evidence, as the signing layer produced it; stored verbatim.

    ``payload`` is the record's RFC 8785 canonical JSON text, exactly the bytes (UTF-8) that were
    signed; ``record_hash`` the lowercase hex SHA-256 of those bytes; ``prev_hash`` the
    ``record_hash`` of the chain's previous record (``GENESIS`` for its first); ``signature`` the
    base64 Ed25519 signature over ``payload``; ``key_id`` names the user key (``user_keys``)
    whose certificate verifies it.
    """

    payload: str
    record_hash: str
    prev_hash: str
    signature: str
    key_id: str


class SignedRecordRow(SQLModel, table=True):
    """One entry of one chain. Rows are only ever inserted: never updated, never deleted
    (triggers refuse both, migration 0005)."""

    __tablename__ = "signed_records"
    __table_args__ = (
        UniqueConstraint("chain_kind", "chain_id", "seq", name="uq_signed_records_chain_seq"),
        Index("ix_signed_records_subject", "subject_kind", "subject_id"),
    )

    record_id: str = Field(primary_key=True)
    chain_kind: str
    chain_id: str
    seq: int
    subject_kind: str
    subject_id: str
    # The batch a record of a batch's chain is about (the chain's id); empty for other chains.
    batch_id: str | None = Field(
        default=None,
        sa_column_args=[ForeignKey("batches.batch_id", name="fk_signed_records_batch_id")],
        index=True,
    )
    execution: int
    meaning: str
    values: list[dict[str, Any]] = Field(sa_type=JSON)
    comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # The record_id of the record this one corrects; the corrected record itself stays as it was.
    corrects: str | None = None
    detail: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    # The recipe version's content hash the record binds (a batch's, or the version signed for).
    recipe_hash: str | None = Field(default=None, max_length=64)
    user_id: str
    user_name: str
    station: str
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    record_hash: str = Field(max_length=64)
    prev_hash: str
    signature: str
    key_id: str


def insert_signed_record(
    *, session: Session, record: SignedRecord, evidence: SignedEvidence
) -> tuple[SignedRecordRow, bool]:
    """Append a record once; return ``(row, created)``.

    ``record_id`` is the idempotency key: a retry with the same content (signature included)
    returns the stored row. The same id with other content, or another id taking a used place in
    the chain, is a Conflict: the record is evidence, and evidence is never silently replaced.
    ``evidence`` is checked only for consistency (``record_hash`` must be the SHA-256 of
    ``payload``, else StoreError), since a stored row can never be fixed afterwards; the signature
    itself is the signing layer's to verify.
    """
    _check_hash(record.record_id, evidence)
    row = SignedRecordRow(
        record_id=record.record_id,
        chain_kind=record.chain.kind.value,
        chain_id=record.chain.id,
        seq=record.seq,
        subject_kind=record.subject.kind.value,
        subject_id=record.subject.id,
        batch_id=record.batch_id,
        execution=record.execution,
        meaning=Meaning(record.meaning).value,
        values=[value.model_dump(mode="json") for value in record.values],
        comment=record.comment,
        reason=record.reason,
        corrects=record.corrects,
        detail=record.detail,
        recipe_hash=record.recipe_hash,
        user_id=record.user_id,
        user_name=record.user_name,
        station=record.station,
        recorded_at=as_utc(record.recorded_at),
        payload=evidence.payload,
        record_hash=evidence.record_hash,
        prev_hash=evidence.prev_hash,
        signature=evidence.signature,
        key_id=evidence.key_id,
    )
    return insert_once(
        session=session,
        row=row,
        fields=_CONTENT_FIELDS,
        find=lambda: session.get(SignedRecordRow, record.record_id, populate_existing=True),
        differs=lambda _, changed: Conflict(
            f"record {record.record_id!r} already exists with a different {', '.join(changed)}",
            {"record_id": record.record_id, "fields": changed},
        ),
        collides=lambda: _collision(session, record),
    )


def _check_hash(record_id: str, evidence: SignedEvidence) -> None:
    actual = hashlib.sha256(evidence.payload.encode("utf-8")).hexdigest()
    if evidence.record_hash != actual:
        raise StoreError(
            f"record {record_id!r}: record_hash is not the SHA-256 of its payload",
            {"record_id": record_id, "record_hash": evidence.record_hash, "actual": actual},
        )


def _collision(session: Session, record: SignedRecord) -> StoreError:
    """Why an insert failed when no row has its id: its place in the chain is taken, or its
    batch is unknown."""
    holder = session.exec(
        _chain_query(record.chain).where(SignedRecordRow.seq == record.seq)
    ).first()
    if holder is not None:
        return Conflict(
            f"seq {record.seq} of {record.chain} is already record "
            f"{holder.record_id!r}, not {record.record_id!r}",
            {"chain": str(record.chain), "seq": record.seq, "record_id": holder.record_id},
        )
    batch_id = record.batch_id
    if batch_id is not None and get_batch(session=session, batch_id=batch_id) is None:
        return NotFound(f"batch {batch_id!r} does not exist", {"batch_id": batch_id})
    return StoreError(f"record {record.record_id!r} could not be stored")


def _chain_query(chain: Chain) -> Any:
    return select(SignedRecordRow).where(
        SignedRecordRow.chain_kind == chain.kind.value, SignedRecordRow.chain_id == chain.id
    )


def list_chain(*, session: Session, chain: Chain) -> list[SignedRecordRow]:
    """A chain's records in the order they were made."""
    return list(session.exec(_chain_query(chain).order_by(col(SignedRecordRow.seq))).all())


def list_batch_records(*, session: Session, batch_id: str) -> list[SignedRecordRow]:
    """A batch's records (steps and decisions) in the order they were made."""
    return list_chain(session=session, chain=batch_chain(batch_id))


def get_signed_record(*, session: Session, record_id: str) -> SignedRecordRow | None:
    return session.get(SignedRecordRow, record_id)


def chain_head(*, session: Session, chain: Chain) -> tuple[int, str | None]:
    """The chain's highest seq and that record's ``record_hash``: what the next record chains to;
    ``(0, None)`` for a chain with no record yet."""
    query = (
        select(SignedRecordRow.seq, SignedRecordRow.record_hash)
        .where(SignedRecordRow.chain_kind == chain.kind.value)
        .where(SignedRecordRow.chain_id == chain.id)
        .order_by(col(SignedRecordRow.seq).desc())
        .limit(1)
    )
    newest = session.exec(query).first()
    return (0, None) if newest is None else (newest[0], newest[1])


def record_of(row: SignedRecordRow) -> SignedRecord:
    """The SignedRecord a row holds, validated again so a damaged row cannot pass as evidence."""
    try:
        return _validated(row)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise StoreError(f"stored record {row.record_id!r} is damaged: {exc}") from exc


def _validated(row: SignedRecordRow) -> SignedRecord:
    return SignedRecord(
        record_id=row.record_id,
        chain=Chain(kind=ChainKind(row.chain_kind), id=row.chain_id),
        seq=row.seq,
        subject=Subject(kind=SubjectKind(row.subject_kind), id=row.subject_id),
        execution=row.execution,
        meaning=Meaning(row.meaning),
        values=tuple(RecordedValue.model_validate(value) for value in row.values),
        comment=row.comment,
        reason=row.reason,
        corrects=row.corrects,
        detail=row.detail,
        recipe_hash=row.recipe_hash,
        user_id=row.user_id,
        user_name=row.user_name,
        station=row.station,
        recorded_at=row.recorded_at,
    )
