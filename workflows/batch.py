"""BatchWorkflow: one batch, executed step by step against its approved master recipe."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import ActivityError

from workflows.deciding import DecisionUpdates
from workflows.deviating import THE_RULES
from workflows.unsigned_steps import UnsignedStepUpdates

with workflow.unsafe.imports_passed_through():
    from activities.audit_log import AuditLogActivities
    from activities.batch_store import BatchStoreActivities
    from activities.reports import ReportActivities
    from ebr.domain import execution, holds, review, signed, timing
    from ebr.domain.batch import BatchState, BatchStatus, StepProgress
    from ebr.domain.deviations import Origin, Stage
    from ebr.domain.holds import Hold
    from ebr.domain.records import Meaning
    from ebr.domain.refusals import Refusal
    from ebr.domain.signed import RecordPayload
    from ebr.domain.status import TERMINAL
    from workflows.calls import (
        RECIPE_KEY,
        STATUS_KEY,
        STORE_RETRY,
        STORE_WRITE_GIVE_UP,
        STORE_WRITE_TIMEOUT,
        refusal,
    )
    from workflows.messages import (
        BatchOutcome,
        CreateBatchInput,
        IssueReportInput,
        SignedAction,
        StartBatch,
        StepRecorded,
    )

EXCEPTIONS_PATCH = "await-qa-decision"
"""Batches started after deviations, timers, review and QA's decision arrived take the new path
(``workflow.patched``); signed batches started before replay as they ran, ending awaiting review."""

REPORT_TIMEOUT = timedelta(minutes=10)
REPORT_HEARTBEAT = timedelta(minutes=1)


def search_attributes_for(recipe_code: str, status: BatchStatus) -> TypedSearchAttributes:
    """The search attributes a batch starts with, so Temporal can list batches by status and recipe."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(STATUS_KEY, status.value),
            SearchAttributePair(RECIPE_KEY, recipe_code),
        ]
    )


@workflow.defn
class BatchWorkflow(DecisionUpdates, UnsignedStepUpdates):
    """Executes one batch (workflow id = batch id) against a snapshot of its master recipe.

    Guarantees: steps are completed strictly in recipe order, each by a person holding the step's
    role; a step that calls for verification is verified by a second, qualified person before the
    next step can start; a refused request (update validator) writes nothing; each accepted action
    is stored exactly once, keyed by its record id, before the caller hears it was accepted. A
    supervisor or QA may put the batch on hold with a reason; while any hold is active no step is
    performed or verified (``batch_on_hold``), and only QA lifts a hold, with a reason and a
    signature. A value out of limits is recorded as entered, with the person's comment, and opens
    a deviation (a child workflow); the recipe's time limits run as durable timers whose breach
    opens one too. When every step is done the batch awaits QA's review: exceptions marked
    reviewed, deviations closed, then a signed release or rejection, a checkpoint of the audit log
    and the final report. The workflow is the only writer of the batch's state; long batches
    continue as new with everything they must remember carried over.

    Signed batches started before this version (no ``await-qa-decision`` patch marker) and the
    unsigned batches of the first version end awaiting review, as they did.
    """

    @workflow.init
    def __init__(self, start: StartBatch) -> None:
        self._recipe = start.recipe
        self._state = start.carried or BatchState.start(start.header, start.recipe)
        self._created = start.carried is not None
        self._last_seq = start.last_seq
        self._busy: set[str] = set()
        self._updates_this_run = 0
        self._updates_per_run = start.updates_per_run
        self._signatures_required = start.signatures_required
        self._holds: list[Hold] = list(start.holds)
        self._lifting: set[str] = set()
        self._deviations = list(start.deviations)
        self._breaches = list(start.breaches)
        self._record_exceptions = list(start.record_exceptions)
        self._marks = list(start.marks)
        self._executors = set(start.executors)
        self._not_before = start.not_before or start.header.created_at
        self._version = 0
        self._hold_sync = asyncio.Lock()
        self._v2 = start.signatures_required and workflow.patched(EXCEPTIONS_PATCH)

    @workflow.run
    async def run(self, start: StartBatch) -> BatchOutcome:
        if not self._created:
            await workflow.execute_local_activity_method(
                BatchStoreActivities.create_batch,
                CreateBatchInput(
                    header=start.header,
                    steps_total=len(self._state.steps),
                    station=start.station,
                ),
                start_to_close_timeout=STORE_WRITE_TIMEOUT,
                schedule_to_close_timeout=STORE_WRITE_GIVE_UP,
                retry_policy=STORE_RETRY,
            )
            self._created = True
        if self._v2:
            await self._watch_clock(lambda: self._finished() or self._run_is_long())
        else:
            await workflow.wait_condition(lambda: self._finished() or self._run_is_long())
        await workflow.wait_condition(workflow.all_handlers_finished)
        if not self._finished():
            workflow.continue_as_new(self._carried(start))
        report = await self._close_the_record() if self._v2 else None
        return BatchOutcome(
            batch_id=self._state.header.batch_id,
            status=self._state.status,
            completed_at=self._state.completed_at,
            report_sha256=report,
        )

    @workflow.query
    def state(self) -> BatchState:
        return self._state

    def _carried(self, start: StartBatch) -> StartBatch:
        return StartBatch(
            header=start.header,
            recipe=self._recipe,
            carried=self._state,
            last_seq=self._last_seq,
            updates_per_run=self._updates_per_run,
            signatures_required=self._signatures_required,
            holds=tuple(self._holds),
            deviations=tuple(self._deviations),
            breaches=tuple(self._breaches),
            record_exceptions=tuple(self._record_exceptions),
            marks=tuple(self._marks),
            executors=tuple(sorted(self._executors)),
            not_before=self._not_before,
        )

    async def _close_the_record(self) -> str | None:
        """The batch is decided: end its open deviations' workflows, sign a checkpoint of the
        audit log that now holds the decision, and issue the final report (its SHA-256)."""
        for dev in self._deviations:
            if dev.stage is not Stage.CLOSED:
                await self._close_deviation_workflow(dev)
        await workflow.execute_activity_method(
            AuditLogActivities.write_checkpoint,
            start_to_close_timeout=STORE_WRITE_GIVE_UP,
            retry_policy=STORE_RETRY,
        )
        try:
            issued = await workflow.execute_activity_method(
                ReportActivities.issue_report,
                IssueReportInput(batch_id=self._state.header.batch_id, final=True),
                start_to_close_timeout=REPORT_TIMEOUT,
                heartbeat_timeout=REPORT_HEARTBEAT,
            )
        except ActivityError as exc:
            # The decision stands and is signed; a report that cannot be made from the stored
            # record (retries cannot help) is reported here and made again on request.
            workflow.logger.error(
                "the final report of %s failed: %s", self._state.header.batch_id, exc.cause
            )
            return None
        return issued.sha256

    @workflow.update
    async def opened(self) -> BatchState:
        """Returns once the batch is in the record store, so a reader finds what was started."""
        await workflow.wait_condition(lambda: self._created)
        return self._state

    @workflow.update
    async def sign(self, action: SignedAction) -> StepRecorded:
        """Record a signed action: performed, verified or corrected, exactly as it was signed."""
        self._check_signed(action)
        payload = action.payload

        def leaves() -> tuple[BatchStatus, int, datetime | None]:
            steps_done = self._steps_done_after(payload)
            if steps_done == len(self._state.steps):
                return BatchStatus.AWAITING_REVIEW, steps_done, payload.signed_at
            return self._state.status, steps_done, None

        await self._store_signed(action, leaves)
        late = self._claim_breaches(payload.step_id) if self._v2 else []
        before = self._state.status
        progress = self._apply_signed(action)
        self._status_moved(before)
        if self._v2:
            self._note(action, progress)
            await self._handle_breaches(late)
            await self._open_for_values(payload)
        return StepRecorded(
            record=payload.to_record(),
            progress=progress.model_copy(),
            batch_status=self._state.status,
            steps_done=self._state.steps_done(),
            steps_total=len(self._state.steps),
        )

    @sign.validator
    def _validate_sign(self, action: SignedAction) -> None:
        self._check_signed(action)

    def _check_signed(self, action: SignedAction) -> None:
        payload = action.payload
        try:
            if payload.meaning in (Meaning.PERFORMED, Meaning.VERIFIED):
                holds.check_not_on_hold(holds.active_hold(self._holds))
            signed.check_signed_action(
                self._state,
                self._recipe,
                actor=action.actor,
                payload=payload,
                entered=action.entered,
                last_seq=self._last_seq,
                busy=frozenset(self._busy),
            )
            if self._v2 and payload.meaning is Meaning.PERFORMED:
                execution.out_of_limit_policy(payload.values, payload.comment)
                step = self._recipe.step(payload.step_id)
                assert step is not None  # checked above
                started = timing.step_started_at(self._state, step.id, not_before=self._not_before)
                timing.check_min_duration(step, started_at=started, at=workflow.now())
        except Refusal as exc:
            raise refusal(exc) from None

    def _note(self, action: SignedAction, progress: StepProgress) -> None:
        """Remember what the record means for the review and for segregation of duties."""
        payload = action.payload
        performed_at = progress.performed_at if payload.meaning is Meaning.VERIFIED else None
        self._record_exceptions += review.record_exceptions(
            payload.to_record(), performed_at=performed_at
        )
        if payload.meaning in (Meaning.PERFORMED, Meaning.VERIFIED):
            self._executors.add(payload.signer.user_id)
        self._version += 1

    async def _open_for_values(self, payload: RecordPayload) -> None:
        """Values out of limits open a deviation; on a critical parameter it holds the batch."""
        if payload.meaning not in (Meaning.PERFORMED, Meaning.CORRECTED):
            return
        out = [v for v in payload.values if v.in_spec is False]
        if not out:
            return
        listed = ", ".join(f"{v.name} = {v.value}{' ' + v.unit if v.unit else ''}" for v in out)
        why = payload.comment or payload.reason or ""
        await self._open_deviation(
            origin=Origin.OUT_OF_LIMIT,
            description=(
                f"out of limits at step {payload.step_id!r}: {listed} "
                f"(recorded by {payload.signer.user_id}: {why})"
            ),
            actor=THE_RULES,
            step_id=payload.step_id,
            execution=payload.execution,
            critical=any(v.critical for v in out),
        )

    def _steps_done_after(self, payload: RecordPayload) -> int:
        step = self._recipe.step(payload.step_id)
        assert step is not None
        done = self._state.steps_done()
        if payload.meaning is Meaning.PERFORMED:
            return done + (0 if step.verify else 1)
        return done + 1 if payload.meaning is Meaning.VERIFIED else done

    def _apply_signed(self, action: SignedAction) -> StepProgress:
        payload, at = action.payload, action.payload.signed_at
        if payload.meaning is Meaning.PERFORMED:
            return execution.apply_complete(
                self._state, self._recipe, step_id=payload.step_id, actor=action.actor, at=at
            )
        if payload.meaning is Meaning.VERIFIED:
            return execution.apply_verify(
                self._state, self._recipe, step_id=payload.step_id, actor=action.actor, at=at
            )
        progress = self._state.progress(payload.step_id)
        assert progress is not None
        return progress

    def _finished(self) -> bool:
        if self._v2:
            return self._state.status in TERMINAL
        return self._state.status not in (BatchStatus.IN_PROGRESS, BatchStatus.ON_HOLD)

    def _run_is_long(self) -> bool:
        return (
            self._updates_this_run >= self._updates_per_run
            or workflow.info().is_continue_as_new_suggested()
        )
