"""What the review-by-exception page shows: ``api.review_views.batch_review`` read from the store,
beside the batch, and what still stands before release in words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from api.review_schemas import ReviewItem, ReviewView
from api.review_views import batch_review
from api.web.rendering import status_words
from api.web.views import BatchPage, batch_page
from ebr.store.db import session_scope


@dataclass(frozen=True)
class ReviewPage:
    shown: BatchPage
    review: ReviewView

    def step_label(self, step_id: str | None) -> str:
        if not step_id:
            return ""
        known = any(s.step_id == step_id for s in self.shown.batch.steps)
        if not known:
            return step_id
        return f"step {self.shown.number(step_id)} ({self.shown.step_name(step_id)})"

    def item(self, exception_id: str) -> ReviewItem | None:
        return next((e for e in self.review.exceptions if e.id == exception_id), None)

    def missing(self) -> list[str]:
        """Each entry of ``release_blocked`` as a sentence."""
        return [self._words(entry) for entry in self.review.release_blocked]

    def _words(self, entry: dict[str, Any]) -> str:
        kind = entry.get("kind")
        if kind == "step_not_done":
            label = self.step_label(str(entry.get("step_id")))
            return f"{label[:1].upper()}{label[1:]} is not done: it is {status_words(entry['status'])}."
        if kind == "hold_active":
            return f"Hold {entry.get('hold_id')} is still active."
        if kind == "deviation_open":
            return (
                f"Deviation {entry.get('deviation_id')} is not closed: it is {entry.get('stage')}."
            )
        if kind == "exception_unreviewed":
            found = self.item(str(entry.get("exception_id")))
            what = f": {found.summary}" if found else ""
            words = status_words(str(entry.get("exception_kind")))
            return f"An exception ({words}) is not marked reviewed{what}"
        return f"{status_words(str(kind))}: {entry}"


def review_page(*, engine: Engine, batch_id: str) -> ReviewPage:
    """The batch and its review; raises ``batch_not_found`` when there is no such batch."""
    shown = batch_page(engine=engine, batch_id=batch_id)
    with session_scope(engine) as session:
        review = batch_review(session=session, batch_id=batch_id)
    return ReviewPage(shown=shown, review=review)
