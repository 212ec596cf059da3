"""The first version's unsigned step updates, kept so that batches recorded with them replay.

Batches that record electronic signatures (every batch started since signatures arrived) refuse
them with ``signature_required``; they use BatchWorkflow's ``sign`` update instead.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.batch_store import BatchStoreActivities
    from ebr.domain import execution, holds
    from ebr.domain.batch import BatchState, BatchStatus
    from ebr.domain.holds import Hold
    from ebr.domain.recipe import Recipe
    from ebr.domain.records import Meaning, StepRecord
    from ebr.domain.refusals import Refusal
    from ebr.domain.values import RecordedValue
    from workflows.calls import (
        STATUS_KEY,
        STORE_RETRY,
        STORE_WRITE_GIVE_UP,
        STORE_WRITE_TIMEOUT,
        refusal,
    )
    from workflows.messages import (
        CompleteStepInput,
        PersistRecordInput,
        StepRecorded,
        VerifyStepInput,
    )


class UnsignedStepUpdates:
    """``complete_step`` and ``verify_step``: the same rules as signed records, stored as plain
    records keyed by their id. BatchWorkflow sets the attributes below."""

    _state: BatchState
    _recipe: Recipe
    _holds: list[Hold]
    _busy: set[str]
    _created: bool
    _last_seq: int
    _updates_this_run: int
    _signatures_required: bool

    @workflow.update
    async def complete_step(self, request: CompleteStepInput) -> StepRecorded:
        values = self._check_complete(request)
        step = self._recipe.step(request.step_id)
        assert step is not None  # checked above
        steps_done = self._state.steps_done() + (0 if step.verify else 1)
        return await self._record(
            step_id=request.step_id,
            meaning=Meaning.PERFORMED,
            request_actor=request,
            values=values,
            steps_done=steps_done,
            apply=lambda at: execution.apply_complete(
                self._state, self._recipe, step_id=request.step_id, actor=request.actor, at=at
            ),
        )

    @complete_step.validator
    def _validate_complete(self, request: CompleteStepInput) -> None:
        self._check_complete(request)

    @workflow.update
    async def verify_step(self, request: VerifyStepInput) -> StepRecorded:
        self._check_verify(request)
        return await self._record(
            step_id=request.step_id,
            meaning=Meaning.VERIFIED,
            request_actor=request,
            values=(),
            steps_done=self._state.steps_done() + 1,
            apply=lambda at: execution.apply_verify(
                self._state, self._recipe, step_id=request.step_id, actor=request.actor, at=at
            ),
        )

    @verify_step.validator
    def _validate_verify(self, request: VerifyStepInput) -> None:
        self._check_verify(request)

    def _require_unsigned_allowed(self) -> None:
        if self._signatures_required:
            raise ApplicationError(
                "this batch records only electronic signatures: use the sign update",
                {"kind": "forbidden", "details": None},
                type="signature_required",
                non_retryable=True,
            )

    def _check_complete(self, request: CompleteStepInput) -> tuple[RecordedValue, ...]:
        self._require_unsigned_allowed()
        try:
            return execution.check_complete(
                self._state,
                self._recipe,
                step_id=request.step_id,
                actor=request.actor,
                values=request.values,
                busy=frozenset(self._busy),
                hold=holds.active_hold(self._holds),
            )
        except Refusal as exc:
            raise refusal(exc) from None

    def _check_verify(self, request: VerifyStepInput) -> None:
        self._require_unsigned_allowed()
        try:
            holds.check_not_on_hold(holds.active_hold(self._holds))
            execution.check_verify(
                self._state,
                self._recipe,
                step_id=request.step_id,
                actor=request.actor,
                busy=frozenset(self._busy),
            )
        except Refusal as exc:
            raise refusal(exc) from None

    async def _record(
        self,
        *,
        step_id: str,
        meaning: Meaning,
        request_actor: CompleteStepInput | VerifyStepInput,
        values: tuple[RecordedValue, ...],
        steps_done: int,
        apply: execution.Apply,
    ) -> StepRecorded:
        """Store the record first, then change the state: a failed write leaves the batch as it was."""
        self._busy.add(step_id)
        self._updates_this_run += 1
        try:
            await workflow.wait_condition(lambda: self._created)
            actor = request_actor.actor
            progress = self._state.progress(step_id)
            assert progress is not None
            at = workflow.now()
            self._last_seq += 1
            record = StepRecord(
                record_id=StepRecord.make_id(
                    self._state.header.batch_id, step_id, progress.execution, meaning
                ),
                batch_id=self._state.header.batch_id,
                seq=self._last_seq,
                step_id=step_id,
                execution=progress.execution,
                meaning=meaning,
                values=values,
                comment=request_actor.comment,
                user_id=actor.user_id,
                user_name=actor.full_name,
                station=actor.station,
                recorded_at=at,
            )
            all_done = steps_done == len(self._state.steps)
            status = BatchStatus.AWAITING_REVIEW if all_done else self._state.status
            try:
                stored: StepRecord | None = await workflow.execute_local_activity_method(
                    BatchStoreActivities.persist_record,
                    PersistRecordInput(
                        record=record,
                        status=status,
                        steps_done=steps_done,
                        completed_at=at if all_done else None,
                    ),
                    start_to_close_timeout=STORE_WRITE_TIMEOUT,
                    schedule_to_close_timeout=STORE_WRITE_GIVE_UP,
                    retry_policy=STORE_RETRY,
                )
            except Exception:
                if self._last_seq == record.seq:
                    self._last_seq -= 1
                raise
            if stored is not None:  # None in histories from before the activity returned it
                # A crashed task's rerun gets the record its first run committed: that one counts.
                record, at = stored, stored.recorded_at
            before = self._state.status
            progress = apply(at)
            if self._state.status is not before:
                workflow.upsert_search_attributes([STATUS_KEY.value_set(self._state.status.value)])
            return StepRecorded(
                record=record,
                progress=progress.model_copy(),
                batch_status=self._state.status,
                steps_done=self._state.steps_done(),
                steps_total=len(self._state.steps),
            )
        finally:
            self._busy.discard(step_id)
