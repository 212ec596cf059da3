"""Review by exception, read from the record store: only what QA must look at, and what still
stands between the batch and its release."""

from __future__ import annotations

from sqlmodel import Session

from api.batch_views import batch_recipe, progress_of, stored_batch
from api.review_schemas import ReviewItem, ReviewView
from ebr.domain.batch import BatchStatus
from ebr.domain.release import missing_for_release
from ebr.domain.review import exception_report
from ebr.domain.status import TERMINAL
from ebr.store.batch_events import load_batch_events
from ebr.store.batches import header_of
from ebr.store.signed_records import list_batch_records, record_of


def batch_review(*, session: Session, batch_id: str) -> ReviewView:
    """The batch's exceptions, each with whether QA reviewed it, and ``release_blocked``.

    Everything comes from the store in one read: the records (``exception_report`` over them),
    the deviations, holds, timer breaches and review marks the workflow audited
    (``load_batch_events``), and each step's progress as those records show it
    (``batch_views.progress_of``). Not the workflow's ``state`` query: the review is a reading of
    what was recorded, so exceptions and progress come from the same snapshot; it answers with no
    worker running and after the batch's workflow has ended; and it costs no Temporal round trip.
    The workflow still decides a release on its own state: ``release_blocked`` shows what a
    release would be refused for, as of the store. A released, rejected or cancelled batch has
    nothing left to block.
    """
    row = stored_batch(session=session, batch_id=batch_id)
    recipe = batch_recipe(session=session, row=row)
    records = [record_of(r) for r in list_batch_records(session=session, batch_id=batch_id)]
    events = load_batch_events(session=session, batch_id=batch_id)
    report = exception_report(records, events.deviations, events.holds, events.breaches)
    marks = {m.exception_id: m for m in events.marks}
    items = []
    for exc in report.exceptions:
        mark = marks.get(exc.id)
        items.append(
            ReviewItem(
                id=exc.id,
                kind=exc.kind,
                at=exc.at,
                summary=exc.summary,
                step_id=exc.step_id,
                execution=exc.execution,
                reviewed=mark is not None,
                reviewed_by=mark.by if mark else None,
                reviewed_at=mark.at if mark else None,
                review_comment=mark.comment if mark else None,
            )
        )
    status = BatchStatus(row.status)
    blocked = []
    if status not in TERMINAL:
        state = progress_of(header_of(row), recipe, records, events.deviations)
        state.status = status
        blocked = missing_for_release(
            state,
            deviations=events.deviations,
            holds=events.holds,
            report=report,
            marks=events.marks,
        )
    return ReviewView(
        batch_id=batch_id,
        status=status,
        none=report.none,
        message=report.summary(),
        exceptions=items,
        unreviewed=sum(1 for item in items if not item.reviewed),
        release_blocked=blocked,
    )
