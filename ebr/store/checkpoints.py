"""The audit_checkpoints table: signed statements of the audit log's Merkle root at a size."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, Session, SQLModel, col, select

from ebr.store.audit import audit_size
from ebr.store.columns import UTCDateTime, as_utc
from ebr.store.errors import Conflict, StoreError
from ebr.store.keyed import insert_once

__all__ = [
    "CheckpointRow",
    "get_checkpoint",
    "latest_checkpoint",
    "list_checkpoints",
    "save_checkpoint",
]

_CONTENT_FIELDS = ["root_hash", "at", "origin", "key_id", "signature", "document"]


class CheckpointRow(SQLModel, table=True):
    """A checkpoint: the log's first ``tree_size`` entries have Merkle root ``root_hash``.

    ``document`` is the checkpoint's JSON text exactly as signed, ``signature`` the base64
    signature over it by ``key_id``. Rows are never updated or deleted (migration 0003).
    """

    __tablename__ = "audit_checkpoints"

    tree_size: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    root_hash: str
    at: datetime = Field(sa_type=UTCDateTime)
    origin: str
    key_id: str
    signature: str
    document: str = Field(sa_column=Column(Text, nullable=False))


def save_checkpoint(
    *,
    session: Session,
    tree_size: int,
    root_hash: str,
    at: datetime,
    origin: str,
    key_id: str,
    signature: str,
    document: str,
) -> tuple[CheckpointRow, bool]:
    """Store a checkpoint once per tree size; return ``(row, created)``.

    The same content again returns the stored row; another checkpoint of the same size is a
    Conflict (two signed roots for one size would be a fork, to investigate, not overwrite).
    A size larger than the log is refused (StoreError): it would sign entries that do not exist.
    The root and signature are the signing layer's to compute and verify; they are kept verbatim.
    """
    size = audit_size(session=session)
    if not 0 <= tree_size <= size:
        raise StoreError(
            f"the audit log holds {size} entries; a checkpoint of {tree_size} cannot be saved",
            {"tree_size": tree_size, "audit_size": size},
        )
    row = CheckpointRow(
        tree_size=tree_size,
        root_hash=root_hash,
        at=as_utc(at),
        origin=origin,
        key_id=key_id,
        signature=signature,
        document=document,
    )
    return insert_once(
        session=session,
        row=row,
        fields=_CONTENT_FIELDS,
        find=lambda: session.get(CheckpointRow, tree_size, populate_existing=True),
        differs=lambda _, changed: Conflict(
            f"a checkpoint of tree size {tree_size} already exists with a different "
            f"{', '.join(changed)}",
            {"tree_size": tree_size, "fields": changed},
        ),
        collides=lambda: StoreError(f"the checkpoint of tree size {tree_size} could not be stored"),
    )


def get_checkpoint(*, session: Session, tree_size: int) -> CheckpointRow | None:
    return session.get(CheckpointRow, tree_size)


def latest_checkpoint(*, session: Session) -> CheckpointRow | None:
    """The checkpoint of the largest tree, or None before the first one."""
    query = select(CheckpointRow).order_by(col(CheckpointRow.tree_size).desc()).limit(1)
    return session.exec(query).first()


def list_checkpoints(*, session: Session, limit: int = 100, offset: int = 0) -> list[CheckpointRow]:
    """Checkpoints from the smallest tree to the largest."""
    query = select(CheckpointRow).order_by(col(CheckpointRow.tree_size))
    return list(session.exec(query.limit(limit).offset(offset)).all())
