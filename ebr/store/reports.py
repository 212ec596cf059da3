"""The reports table: every issued batch report, the signed PDF itself, kept for ever.

A batch has at most one final report, whose id is ``<batch_id>/final`` (``final_report_id``);
drafts are kept as issued, each under the id its issuer chose. Rows are only ever inserted
(triggers refuse UPDATE and DELETE, migration 0004).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, ForeignKey, LargeBinary
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer
from sqlmodel import Field, Session, SQLModel, col, select

from ebr.store.batches import get_batch
from ebr.store.columns import UTCDateTime, as_utc
from ebr.store.errors import NotFound, StoreError

__all__ = [
    "ReportInfo",
    "ReportKind",
    "ReportRow",
    "final_report",
    "final_report_id",
    "get_report",
    "insert_report",
    "list_reports",
]


class ReportKind(StrEnum):
    FINAL = "final"
    DRAFT = "draft"


def final_report_id(batch_id: str) -> str:
    """The one id a batch's final report may have: the primary key then allows only one."""
    return f"{batch_id}/final"


class ReportInfo(SQLModel):
    """What is known of an issued report without its bytes."""

    report_id: str = Field(primary_key=True)
    batch_id: str = Field(
        sa_column_args=[ForeignKey("batches.batch_id", name="fk_reports_batch_id")], index=True
    )
    kind: str
    sha256: str = Field(max_length=64)
    pages: int
    size: int
    created_at: datetime = Field(sa_type=UTCDateTime)
    requested_by: str


class ReportRow(ReportInfo, table=True):
    """An issued report: the signed PDF and its SHA-256, inserted once, never changed."""

    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint("kind IN ('final', 'draft')", name="ck_reports_kind"),
        CheckConstraint(
            "kind <> 'final' OR report_id = batch_id || '/final'", name="ck_reports_one_final"
        ),
    )

    pdf: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


def insert_report(
    *,
    session: Session,
    report_id: str,
    batch_id: str,
    kind: ReportKind,
    pdf: bytes,
    pages: int,
    requested_by: str,
    at: datetime,
) -> tuple[ReportRow, bool]:
    """Store an issued report unless ``report_id`` is stored already; return ``(row, created)``.

    The first report stored under an id stays: a retry, or a second issuer racing the first,
    gets the stored row back (``created`` False) whatever bytes it rendered itself, since a
    report that was handed out must never be replaced. ``sha256`` and ``size`` are computed
    here from ``pdf``.

    Raises:
        ValueError: a final report under another id than ``final_report_id(batch_id)``.
        NotFound: there is no such batch.
    """
    if kind is ReportKind.FINAL and report_id != final_report_id(batch_id):
        raise ValueError(f"a final report's id is {final_report_id(batch_id)!r}, not {report_id!r}")
    if get_batch(session=session, batch_id=batch_id) is None:
        raise NotFound(f"batch {batch_id!r} does not exist", {"batch_id": batch_id})
    row = ReportRow(
        report_id=report_id,
        batch_id=batch_id,
        kind=kind.value,
        sha256=hashlib.sha256(pdf).hexdigest(),
        pages=pages,
        size=len(pdf),
        created_at=as_utc(at),
        requested_by=requested_by,
        pdf=pdf,
    )
    try:
        with session.begin_nested():
            session.add(row)
        return row, True
    except IntegrityError:
        if row in session:
            session.expunge(row)
    existing = get_report(session=session, report_id=report_id)
    if existing is None:
        raise StoreError(f"report {report_id!r} could not be stored", {"report_id": report_id})
    if existing.batch_id != batch_id or existing.kind != kind.value:
        raise StoreError(
            f"report {report_id!r} is stored for another batch or kind", {"report_id": report_id}
        )
    return existing, False


def get_report(*, session: Session, report_id: str) -> ReportRow | None:
    return session.get(ReportRow, report_id)


def final_report(*, session: Session, batch_id: str) -> ReportRow | None:
    """The batch's final report, if it was issued."""
    return get_report(session=session, report_id=final_report_id(batch_id))


def list_reports(*, session: Session, batch_id: str) -> list[ReportInfo]:
    """Every report issued for the batch, oldest first, without the PDF bytes."""
    query = (
        select(ReportRow)
        .where(ReportRow.batch_id == batch_id)
        .options(defer(ReportRow.pdf))  # type: ignore[arg-type]  # a mapped column at runtime
        .order_by(col(ReportRow.created_at), col(ReportRow.report_id))
    )
    return [ReportInfo.model_validate(row, from_attributes=True) for row in session.exec(query)]
