"""A batch's redlines and the recipe it runs, as its signed records say.

A redline is nothing but its signed records in the batch's chain (the proposal, QA's decision), so
it is read from them (``ebr.domain.redlines.redlines_of``): the pages, the review, the report and
the signing layer then apply the same approved contents, in the same order, to the same master as
the workflow did (``ebr.domain.redlines.effective``).
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from ebr.domain.recipe import Recipe
from ebr.domain.redlines import Redline, effective, redlines_of
from ebr.domain.refusals import Refusal
from ebr.domain.subjects import SubjectKind
from ebr.store.errors import StoreError
from ebr.store.signed_records import SignedRecordRow, record_of

__all__ = ["batch_redlines", "effective_recipe"]


def batch_redlines(*, session: Session, batch_id: str) -> list[Redline]:
    """The batch's redlines, in the order proposed, each as its records leave it.

    Raises:
        StoreError: a stored record is damaged, or a proposal's content is not a redline's.
    """
    query = (
        select(SignedRecordRow)
        .where(SignedRecordRow.batch_id == batch_id)
        .where(SignedRecordRow.subject_kind == SubjectKind.REDLINE.value)
        .order_by(col(SignedRecordRow.seq))
    )
    records = [record_of(row) for row in session.exec(query)]
    try:
        return redlines_of(records)
    except ValueError as exc:  # pydantic's ValidationError: a proposal that is no redline
        raise StoreError(f"a redline of batch {batch_id!r} cannot be read: {exc}") from exc


def effective_recipe(*, session: Session, batch_id: str, master: Recipe) -> Recipe:
    """The recipe the batch runs: ``master`` (its recipe version) with the redlines QA approved.

    Raises:
        StoreError: as ``batch_redlines``, or approved redlines that no longer apply (the
            store contradicts its own records: ``ebr verify`` says where).
    """
    redlines = batch_redlines(session=session, batch_id=batch_id)
    if not any(r.approved for r in redlines):
        return master
    try:
        return effective(master, redlines)
    except (Refusal, ValueError) as exc:
        raise StoreError(f"the redlines of batch {batch_id!r} do not apply: {exc}") from exc
