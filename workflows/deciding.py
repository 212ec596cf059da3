"""QA's part of a batch: review marks, and the signed decisions (release, rejection, a deviation's
disposition, lifting a person's hold). Mixed into BatchWorkflow."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pydantic import BaseModel, ConfigDict, ValidationError
from temporalio import workflow

from workflows.clock import TimerWatch

with workflow.unsafe.imports_passed_through():
    from activities.batch_events import BatchEventActivities
    from activities.signed_records import SignedRecordActivities
    from ebr.domain import deviations, holds, release, review, signed
    from ebr.domain.batch import Actor, BatchState, BatchStatus
    from ebr.domain.deviations import Decision, Deviation, Disposition
    from ebr.domain.holds import Hold
    from ebr.domain.records import Meaning
    from ebr.domain.refusals import (
        BatchNotActive,
        HoldNotActive,
        PayloadMismatch,
        Refusal,
        SignatureRequired,
        StepInProgress,
    )
    from ebr.domain.review import ExceptionReport, ReviewException, ReviewMark
    from ebr.domain.signed import BATCH_SUBJECT, RecordPayload
    from ebr.domain.status import TERMINAL
    from workflows.calls import (
        STATUS_KEY,
        STORE_RETRY,
        STORE_WRITE_GIVE_UP,
        STORE_WRITE_TIMEOUT,
        refusal,
    )
    from workflows.messages import (
        Decided,
        MarkReviewedInput,
        PersistReviewMarkInput,
        PersistSignedInput,
        ReviewMarked,
        SignedAction,
        SignedStored,
    )


class DispositionDetail(BaseModel):
    """The signed ``detail`` of a disposition."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    decision: Decision
    rework_steps: tuple[str, ...] = ()
    capa_ref: str | None = None


class DecisionUpdates(TimerWatch):
    """Review marks and signed decisions.

    Each decision is a signed record in the batch's chain (``signed.check_signed_decision``),
    stored before it changes anything: the release or rejection ends the batch; a disposition
    closes its deviation (and its child workflow), lifts the deviation's hold, reopens rework
    steps or ends the batch rejected; a lift ends a person's hold.
    """

    _record_exceptions: list[ReviewException]
    _marks: list[ReviewMark]
    _executors: set[str]
    _last_seq: int
    _v2: bool

    def _review(self) -> ExceptionReport:
        return review.report_of(
            self._record_exceptions, self._deviations, self._holds, self._breaches
        )

    def _require_v2(self) -> None:
        if not self._v2:
            raise SignatureRequired(
                "this batch predates signed decisions: it ends awaiting review",
                {"batch_id": self._state.header.batch_id},
            )

    @workflow.update
    async def mark_reviewed(self, request: MarkReviewedInput) -> ReviewMarked:
        """QA marks one exception of the review as looked at (audited, once)."""
        exception = self._check_mark(request)
        mark = ReviewMark(
            exception_id=exception.id,
            by=request.actor.user_id,
            at=workflow.now(),
            comment=(request.comment or "").strip() or None,
        )
        self._marks.append(mark)  # taken now: a second mark of it is refused
        try:
            await workflow.wait_condition(lambda: self._created)
            await workflow.execute_local_activity_method(
                BatchEventActivities.persist_review_mark,
                PersistReviewMarkInput(
                    batch_id=self._state.header.batch_id,
                    mark=mark,
                    exception=exception,
                    station=request.actor.station,
                ),
                start_to_close_timeout=STORE_WRITE_TIMEOUT,
                schedule_to_close_timeout=STORE_WRITE_GIVE_UP,
                retry_policy=STORE_RETRY,
            )
        except Exception:
            self._marks.remove(mark)
            raise
        left = review.unreviewed(self._review(), self._marks)
        return ReviewMarked(mark=mark, exception=exception, unreviewed=len(left))

    @mark_reviewed.validator
    def _validate_mark(self, request: MarkReviewedInput) -> None:
        self._check_mark(request)

    def _check_mark(self, request: MarkReviewedInput) -> ReviewException:
        try:
            self._require_v2()
            self._require_undecided()
            return review.check_mark_reviewed(
                self._review(), self._marks, actor=request.actor, exception_id=request.exception_id
            )
        except Refusal as exc:
            raise refusal(exc) from None

    @workflow.update
    async def decide(self, action: SignedAction) -> Decided:
        """Record a signed decision exactly as signed, then do what it decides."""
        self._check_decision(action)

        def progress() -> tuple[BatchStatus, int, datetime | None]:
            after = self._preview(action)
            return after.status, after.steps_done(), after.completed_at

        await self._store_signed(action, progress)
        self._version += 1
        return await self._carry_out(action)

    async def _store_signed(
        self,
        action: SignedAction,
        progress: Callable[[], tuple[BatchStatus, int, datetime | None]],
    ) -> SignedStored:
        """Take the record's place in the chain now (a concurrent signature must sign again),
        store it with the batch's progress as it leaves it (``progress``: status, steps done,
        completion time), and move the chain head. A failed write gives the place back."""
        payload = action.payload
        self._busy.add(payload.step_id)
        self._updates_this_run += 1
        self._last_seq = payload.seq
        try:
            await workflow.wait_condition(lambda: self._created)
            status, steps_done, completed_at = progress()
            stored: SignedStored = await workflow.execute_local_activity_method(
                SignedRecordActivities.persist_signed_record,
                PersistSignedInput(
                    payload=payload,
                    signature=action.signature,
                    key_id=action.key_id,
                    status=status,
                    steps_done=steps_done,
                    completed_at=completed_at,
                ),
                start_to_close_timeout=STORE_WRITE_TIMEOUT,
                schedule_to_close_timeout=STORE_WRITE_GIVE_UP,
                retry_policy=STORE_RETRY,
            )
        except Exception:
            if self._last_seq == payload.seq:
                self._last_seq = payload.seq - 1
            raise
        finally:
            self._busy.discard(payload.step_id)
        self._state.chain_head = stored.record_hash
        return stored

    @decide.validator
    def _validate_decide(self, action: SignedAction) -> None:
        self._check_decision(action)

    def _check_decision(self, action: SignedAction) -> None:
        payload, actor = action.payload, action.actor
        try:
            self._require_v2()
            signed.check_signed_decision(self._state, actor=actor, payload=payload)
            if payload.step_id in self._busy:
                raise StepInProgress(
                    f"{payload.step_id} is being decided by another request",
                    {"subject": payload.step_id},
                )
            if payload.step_id == BATCH_SUBJECT:
                self._check_batch_decision(payload, actor)
            elif payload.step_id.startswith("@deviation:"):
                self._check_disposition(payload, actor)
            elif payload.step_id.startswith("@hold:"):
                self._check_hold_lift(payload, actor)
            else:
                raise PayloadMismatch(f"{payload.step_id!r} is not a subject of a decision")
            signed.check_chain(self._state, payload, last_seq=self._last_seq)
        except Refusal as exc:
            raise refusal(exc) from None

    def _check_batch_decision(self, payload: RecordPayload, actor: Actor) -> None:
        _no_detail(payload)
        if payload.meaning is Meaning.RELEASED:
            release.check_release(
                self._state,
                actor=actor,
                records=(),
                deviations=self._deviations,
                holds=self._holds,
                report=self._review(),
                marks=self._marks,
                executors_seen=self._executors,
            )
        elif payload.meaning is Meaning.REJECTED:
            release.check_reject(self._state, actor=actor, reason=payload.reason)
        else:
            raise PayloadMismatch("a batch is decided by the meaning released or rejected")

    def _check_disposition(self, payload: RecordPayload, actor: Actor) -> None:
        _approved(payload)
        dev = deviations.find_deviation(self._deviations, signed.subject_ref(payload.step_id))
        self._require_undecided()
        deviations.check_disposition(
            dev, self._state, self._recipe, actor=actor, ruling=_ruling(payload, actor)
        )

    def _check_hold_lift(self, payload: RecordPayload, actor: Actor) -> None:
        _approved(payload)
        _no_detail(payload)
        held = holds.find_hold(self._holds, signed.subject_ref(payload.step_id))
        if held.hold_id in self._lifting:
            raise HoldNotActive(
                f"hold {held.hold_id} is being lifted by another request",
                {"hold_id": held.hold_id},
            )
        holds.check_lift(held, actor=actor, reason=payload.reason)

    def _require_undecided(self) -> None:
        if self._state.status in TERMINAL:
            raise BatchNotActive(
                f"batch {self._state.header.batch_id} is {self._state.status.value}",
                {"status": self._state.status.value},
            )

    def _preview(self, action: SignedAction) -> BatchState:
        """The batch as the decision leaves it, to store with the signed record."""
        after = self._state.model_copy(deep=True)
        payload = action.payload
        if payload.step_id == BATCH_SUBJECT:
            if payload.meaning is Meaning.RELEASED:
                release.apply_release(after)
            else:
                release.apply_reject(after)
        elif payload.step_id.startswith("@deviation:"):
            dev = deviations.find_deviation(self._deviations, signed.subject_ref(payload.step_id))
            closed = deviations.apply_disposition(dev, _ruling(payload, action.actor))
            deviations.apply_outcome(after, closed)
        else:
            after.status = self._status_after_lift(signed.subject_ref(payload.step_id))
        return after

    async def _carry_out(self, action: SignedAction) -> Decided:
        payload = action.payload
        record = payload.to_record()
        if payload.step_id == BATCH_SUBJECT:
            before = self._state.status
            if payload.meaning is Meaning.RELEASED:
                release.apply_release(self._state)
            else:
                release.apply_reject(self._state)
            self._state.completed_at = self._state.completed_at or payload.signed_at
            self._status_moved(before)
            return Decided(record=record, batch_status=self._state.status)
        if payload.step_id.startswith("@deviation:"):
            dev, reopened = await self._close_deviation(action)
            return Decided(
                record=record, batch_status=self._state.status, deviation=dev, reopened=reopened
            )
        lifted = await self._lift_by_signature(action)
        return Decided(record=record, batch_status=self._state.status, hold=lifted)

    async def _close_deviation(self, action: SignedAction) -> tuple[Deviation, tuple[str, ...]]:
        payload = action.payload
        dev = deviations.find_deviation(self._deviations, signed.subject_ref(payload.step_id))
        detail = _detail(payload)
        closed = deviations.apply_disposition(dev, _ruling(payload, action.actor))
        if detail.capa_ref and detail.capa_ref.strip():
            closed = deviations.apply_capa(closed, capa_ref=detail.capa_ref)
        self._deviations[self._deviations.index(dev)] = closed
        before = self._state.status
        reopened = deviations.apply_outcome(self._state, closed)
        if reopened:
            self._not_before = payload.signed_at  # the reopened steps' clocks start again
        self._status_moved(before)
        await self._persist_deviation(closed, "deviation_closed", action.actor, payload.reason)
        await self._close_deviation_workflow(closed)
        await self._sync_deviation_holds()
        return closed, tuple(p.step_id for p in reopened)

    async def _lift_by_signature(self, action: SignedAction) -> Hold:
        payload = action.payload
        held = holds.find_hold(self._holds, signed.subject_ref(payload.step_id))
        self._lifting.add(held.hold_id)
        try:
            lifted = holds.apply_lift(
                held,
                actor=action.actor,
                reason=(payload.reason or "").strip(),
                at=payload.signed_at,
            )
            await self._store_lift(held, lifted, action.actor)
        finally:
            self._lifting.discard(held.hold_id)
        return lifted

    def _status_moved(self, before: BatchStatus) -> None:
        if self._state.status is not before:
            workflow.upsert_search_attributes([STATUS_KEY.value_set(self._state.status.value)])


def _detail(payload: RecordPayload) -> DispositionDetail:
    try:
        return DispositionDetail.model_validate(payload.detail or {})
    except ValidationError as exc:
        raise PayloadMismatch(
            f"a disposition's detail names its decision and rework steps: {exc.errors()[0]['msg']}",
            {"field": "detail"},
        ) from None


def _ruling(payload: RecordPayload, actor: Actor) -> Disposition:
    detail = _detail(payload)
    return Disposition(
        decision=detail.decision,
        reason=(payload.reason or "").strip(),
        rework_steps=detail.rework_steps,
        by=actor.user_id,
        at=payload.signed_at,
    )


def _approved(payload: RecordPayload) -> None:
    if payload.meaning is not Meaning.APPROVED:
        raise PayloadMismatch("a disposition or a hold's lift is signed with the meaning approved")


def _no_detail(payload: RecordPayload) -> None:
    if payload.detail is not None:
        raise PayloadMismatch("only a disposition carries a detail")
