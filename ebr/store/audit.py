"""The audit_log table: every event, append-only, in the order of the leaves of a Merkle tree."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, func, text
from sqlmodel import Field, Session, SQLModel, col, select

from ebr.store.columns import UTCDateTime, as_utc
from ebr.store.errors import Conflict, StoreError
from ebr.store.keyed import insert_once

__all__ = [
    "AuditEntryIn",
    "AuditRow",
    "append_audit",
    "audit_size",
    "get_audit",
    "leaf_hashes",
    "list_audit",
]

# Serialises appends on PostgreSQL; any constant works if every process uses the same one.
_AUDIT_LOCK_KEY = 0x0EB2_0002
_LEAF_PREFIX = b"\x00"  # RFC 9162 section 2.1.1: a leaf's hash is SHA-256(0x00 || entry)


@dataclass(frozen=True, kw_only=True)
class AuditEntryIn:
    """One event to append; the caller has already made its canonical form and leaf hash.

    ``canonical`` is the RFC 8785 canonical JSON text of the entry (every field here except
    ``canonical``, ``leaf_hash`` and ``event_key``, as the caller chooses to lay them out) and
    ``leaf_hash`` the lowercase hex SHA-256 of ``0x00 || canonical`` (UTF-8). The entry's position
    in the log (``idx``) is not part of it: the store assigns the position, and the Merkle tree
    binds every leaf to its position, so moving or dropping an entry changes the signed roots.

    ``event_key`` is the idempotency key (say ``"<record id>/record_signed"``): appending the same
    event again returns the stored entry instead of adding another leaf.
    ``old_value`` and ``new_value`` are JSON values (``None`` is stored as SQL NULL).
    """

    event_key: str
    at: datetime
    actor: str
    station: str
    action: str
    entity: str
    entity_id: str
    batch_id: str | None = None
    old_value: Any = None
    new_value: Any = None
    reason: str | None = None
    canonical: str
    leaf_hash: str


class AuditRow(SQLModel, table=True):
    """An appended event. Rows are never updated or deleted (triggers refuse it, migration 0003)."""

    __tablename__ = "audit_log"
    __table_args__ = (
        UniqueConstraint("event_key", name="uq_audit_log_event_key"),
        Index("ix_audit_log_entity", "entity", "entity_id"),
    )

    idx: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    event_key: str
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    actor: str = Field(index=True)
    station: str
    action: str
    entity: str
    entity_id: str
    batch_id: str | None = Field(default=None, index=True)
    old_value: Any = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))
    new_value: Any = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))
    reason: str | None = None
    canonical: str = Field(sa_column=Column(Text, nullable=False))
    leaf_hash: str = Field(max_length=64)


_CONTENT_FIELDS = [name for name in AuditEntryIn.__dataclass_fields__ if name != "event_key"]


def append_audit(*, session: Session, entry: AuditEntryIn) -> tuple[AuditRow, bool]:
    """Append ``entry`` as the log's next leaf, once; return ``(row, created)``.

    The new row's ``idx`` is the number of entries before it: 0, 1, 2... with no gap, because
    appends are serialised (a PostgreSQL advisory lock held to the end of the transaction; on
    SQLite the write lock every transaction takes) and a rolled-back append frees its position
    for the next one. The lock is held until the caller's transaction ends, so keep it short.

    The same ``event_key`` with the same content returns the stored row (a retry); with other
    content it is a Conflict. A ``leaf_hash`` that is not SHA-256(0x00 || canonical) is refused
    (StoreError): an appended leaf can never be corrected.
    """
    _check_leaf(entry)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _AUDIT_LOCK_KEY})
    last = session.exec(select(func.max(AuditRow.idx))).one()
    fields = asdict(entry)
    fields["at"] = as_utc(entry.at)
    row = AuditRow(idx=0 if last is None else last + 1, **fields)
    return insert_once(
        session=session,
        row=row,
        fields=_CONTENT_FIELDS,
        find=lambda: _by_event_key(session, entry.event_key),
        differs=lambda existing, changed: Conflict(
            f"audit event {entry.event_key!r} already exists with a different {', '.join(changed)}",
            {"event_key": entry.event_key, "idx": existing.idx, "fields": changed},
        ),
        collides=lambda: StoreError(
            f"audit event {entry.event_key!r} could not take position {row.idx}",
            {"event_key": entry.event_key, "idx": row.idx},
        ),
    )


def _check_leaf(entry: AuditEntryIn) -> None:
    actual = hashlib.sha256(_LEAF_PREFIX + entry.canonical.encode("utf-8")).hexdigest()
    if entry.leaf_hash != actual:
        raise StoreError(
            f"audit event {entry.event_key!r}: leaf_hash is not SHA-256(0x00 || canonical)",
            {"event_key": entry.event_key, "leaf_hash": entry.leaf_hash, "actual": actual},
        )


def _by_event_key(session: Session, event_key: str) -> AuditRow | None:
    query = select(AuditRow).where(AuditRow.event_key == event_key)
    return session.exec(query.execution_options(populate_existing=True)).first()


def get_audit(*, session: Session, idx: int) -> AuditRow | None:
    return session.get(AuditRow, idx)


def audit_size(*, session: Session) -> int:
    """How many entries the log holds (the tree size a checkpoint of the whole log signs)."""
    return session.exec(select(func.count()).select_from(AuditRow)).one()


def leaf_hashes(*, session: Session, upto: int | None = None) -> list[bytes]:
    """The leaf hashes of the first ``upto`` entries (all if None), in log order, as raw bytes.

    Reads the one column only, so rebuilding a tree over hundreds of thousands of entries is fast.
    """
    query = select(AuditRow.leaf_hash).order_by(col(AuditRow.idx))
    if upto is not None:
        query = query.where(col(AuditRow.idx) < upto)
    return [bytes.fromhex(value) for value in session.exec(query)]


def list_audit(
    *,
    session: Session,
    batch_id: str | None = None,
    actor: str | None = None,
    entity: str | None = None,
    entity_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[AuditRow]:
    """Entries in log order, optionally filtered; ``since`` is inclusive, ``until`` exclusive."""
    query = select(AuditRow)
    if batch_id is not None:
        query = query.where(AuditRow.batch_id == batch_id)
    if actor is not None:
        query = query.where(AuditRow.actor == actor)
    if entity is not None:
        query = query.where(AuditRow.entity == entity)
    if entity_id is not None:
        query = query.where(AuditRow.entity_id == entity_id)
    if since is not None:
        query = query.where(col(AuditRow.at) >= as_utc(since))
    if until is not None:
        query = query.where(col(AuditRow.at) < as_utc(until))
    query = query.order_by(col(AuditRow.idx)).limit(limit).offset(offset)
    return list(session.exec(query).all())
