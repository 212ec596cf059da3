"""The batch workflow's review by exception and QA's decision on the batch: marks on the
exceptions, and the signed release or rejection. Owns the ``marks`` slice of the batch's state
(and reads the exceptions, deviations, holds and breaches the other parts keep).

Nobody who performed or verified a step may release; release is refused with everything that is
still missing (``ebr.domain.release``). The decision ends the batch; ``BatchWorkflow.run`` then
closes the record (deviations, checkpoint, final report).
"""

from __future__ import annotations

from typing import ClassVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.batch_events import BatchEventActivities
    from ebr.domain import release, review
    from ebr.domain.batch import BatchState
    from ebr.domain.batch_records import check_chain, check_signed_decision
    from ebr.domain.meanings import Meaning
    from ebr.domain.refusals import PayloadMismatch
    from ebr.domain.review import ExceptionReport, ReviewException, ReviewMark
    from ebr.domain.subjects import SubjectKind
    from workflows.batch_context import BatchContext, BatchProgress
    from workflows.messages import (
        MarkReviewedInput,
        PersistReviewMarkInput,
        Recorded,
        ReviewMarked,
        SignedAction,
    )

__all__ = ["Review"]


class Review:
    """QA's marks, and the signed rule for releasing or rejecting the batch (subject ``batch``)."""

    signs: ClassVar[tuple[SubjectKind, ...]] = (SubjectKind.BATCH,)
    """The subject kinds whose signed records this part checks and applies."""

    def __init__(self, context: BatchContext) -> None:
        self._c = context

    def report(self) -> ExceptionReport:
        state = self._c.state
        return review.report_of(
            state.record_exceptions, state.deviations, state.holds, state.breaches, state.redlines
        )

    def check_mark(self, request: MarkReviewedInput) -> ReviewException:
        self._c.require_undecided()
        return review.check_mark_reviewed(
            self.report(),
            self._c.state.marks,
            actor=request.actor,
            exception_id=request.exception_id,
        )

    async def mark(self, request: MarkReviewedInput) -> ReviewMarked:
        """QA marks one exception of the review as looked at (audited, once)."""
        exception = self.check_mark(request)
        mark = ReviewMark(
            exception_id=exception.id,
            by=request.actor.user_id,
            at=workflow.now(),
            comment=(request.comment or "").strip() or None,
        )
        marks = self._c.state.marks
        marks.append(mark)  # taken now: a second mark of it is refused
        try:
            await self._c.created()
            await self._c.store(
                BatchEventActivities.persist_review_mark,
                PersistReviewMarkInput(
                    batch_id=self._c.batch_id,
                    mark=mark,
                    exception=exception,
                    station=request.actor.station,
                ),
            )
        except Exception:
            marks.remove(mark)
            raise
        left = review.unreviewed(self.report(), marks)
        return ReviewMarked(mark=mark, exception=exception, unreviewed=len(left))

    # The signed rule: QA's release or rejection of the batch.

    def check(self, action: SignedAction) -> None:
        payload, actor = action.payload, action.actor
        state = self._c.state
        check_signed_decision(state.batch, actor=actor, payload=payload)
        if payload.detail is not None:
            raise PayloadMismatch("only a disposition carries a detail")
        if payload.meaning is Meaning.RELEASED:
            release.check_release(
                state.batch,
                actor=actor,
                records=(),
                deviations=state.deviations,
                holds=state.holds,
                report=self.report(),
                marks=state.marks,
                executors_seen=state.executors,
            )
        elif payload.meaning is Meaning.REJECTED:
            release.check_reject(state.batch, actor=actor, reason=payload.reason)
        else:
            raise PayloadMismatch("a batch is decided by the meaning released or rejected")
        check_chain(state.batch, payload, last_seq=state.last_seq)

    def leaves(self, action: SignedAction) -> BatchProgress:
        after = self._c.batch.model_copy(deep=True)
        self._decide(after, action)
        return BatchProgress.of(after)

    async def apply(self, action: SignedAction) -> Recorded:
        before = self._c.batch.status
        self._decide(self._c.batch, action)
        self._c.status_moved(before)
        self._c.changed()
        return self._c.recorded(action)

    @staticmethod
    def _decide(batch: BatchState, action: SignedAction) -> None:
        payload = action.payload
        if payload.meaning is Meaning.RELEASED:
            release.apply_release(batch)
        else:
            release.apply_reject(batch)
        batch.completed_at = batch.completed_at or payload.signed_at
