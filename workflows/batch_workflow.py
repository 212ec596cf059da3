"""BatchWorkflow: one batch, executed step by step against its approved master recipe."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.audit_log import AuditLogActivities
    from activities.batch_store import BatchStoreActivities
    from activities.reports import ReportActivities
    from ebr.domain.batch import BatchState, BatchStatus
    from ebr.domain.refusals import PayloadMismatch, Refusal, StepInProgress
    from ebr.domain.status import TERMINAL
    from ebr.domain.subjects import SubjectKind
    from workflows.batch_context import BatchContext, SignedRule
    from workflows.batch_state import BatchWorkflowState
    from workflows.calls import RECIPE_KEY, STATUS_KEY, STORE_RETRY, STORE_WRITE_GIVE_UP, refusal
    from workflows.deviations import Deviations
    from workflows.holds import Holds
    from workflows.messages import (
        BatchOutcome,
        CreateBatchInput,
        DeviationChanged,
        HoldChanged,
        IssueReportInput,
        MarkReviewedInput,
        OpenDeviationInput,
        PlaceHoldInput,
        Recorded,
        ReviewMarked,
        SignedAction,
        StartBatch,
    )
    from workflows.redlines import Redlines
    from workflows.review import Review
    from workflows.steps import Steps
    from workflows.timers import Timers

__all__ = ["BatchWorkflow", "search_attributes_for"]

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
class BatchWorkflow:
    """Executes one batch (workflow id = batch id) against a snapshot of its master recipe, as
    changed by the redlines QA approved for it.

    Guarantees: steps are completed strictly in recipe order, each by a person holding the step's
    role; a step that calls for verification is verified by a second, qualified person before the
    next step can start; every record is an electronic signature on the batch's chain, recorded
    exactly as signed; a refused request (update validator) writes nothing; each accepted record
    is stored exactly once, keyed by its record id, before the caller hears it was accepted. A
    supervisor or QA may put the batch on hold with a reason; while any hold is active no step is
    performed or verified, and only QA lifts a person's hold, with a reason and a signature. A
    value out of limits is recorded as entered, with the person's comment, and opens a deviation
    (a child workflow); the recipe's time limits run as durable timers whose breach opens one too.
    When every step is done the batch awaits QA's review: exceptions marked reviewed, deviations
    closed, then a signed release or rejection, a checkpoint of the audit log and the final
    report. A supervisor may propose a redline (a change to steps not yet started, with a reason,
    signed); once QA approves it with a signature (never the proposer), the batch runs the changed
    recipe from its next step on. The workflow is the only writer of the batch's state, which is one model
    (``BatchWorkflowState``) carried whole when a long batch continues as new.

    The work is done by parts that each own a slice of the state: ``Steps``, ``Holds``,
    ``Deviations``, ``Timers``, ``Review`` and ``Redlines``; a signed record goes to the part that signs its
    subject's kind (``signs``; the table ``self._signed``).
    """

    @workflow.init
    def __init__(self, start: StartBatch) -> None:
        state = start.carried or BatchWorkflowState.start(start.header, start.recipe)
        self._c = BatchContext(state, start.recipe, updates_per_run=start.updates_per_run)
        self._holds = Holds(self._c)
        self._deviations = Deviations(self._c, self._holds)
        self._timers = Timers(self._c, self._deviations)
        self._review = Review(self._c)
        redlines = Redlines(self._c)
        steps = Steps(self._c, self._holds, self._deviations, self._timers, redlines)
        rules: tuple[SignedRule, ...] = (
            steps,
            self._holds,
            self._deviations,
            self._review,
            redlines,
        )
        self._signed = {kind: rule for rule in rules for kind in rule.signs}

    @workflow.run
    async def run(self, start: StartBatch) -> BatchOutcome:
        state = self._c.state
        if not state.created:
            await self._c.store(
                BatchStoreActivities.create_batch,
                CreateBatchInput(
                    header=start.header, steps_total=len(state.batch.steps), station=start.station
                ),
            )
            state.created = True
        await self._timers.watch(lambda: self._decided() or self._c.run_is_long())
        await workflow.wait_condition(workflow.all_handlers_finished)
        if not self._decided():
            workflow.continue_as_new(
                StartBatch(
                    header=start.header,
                    recipe=self._c.master,
                    carried=state,
                    updates_per_run=start.updates_per_run,
                    station=start.station,
                )
            )
        report = await self._close_the_record()
        batch = state.batch
        return BatchOutcome(
            batch_id=batch.header.batch_id,
            status=batch.status,
            completed_at=batch.completed_at,
            report_sha256=report,
        )

    def _decided(self) -> bool:
        return self._c.batch.status in TERMINAL

    async def _close_the_record(self) -> str | None:
        """The batch is decided: end its open deviations' workflows, sign a checkpoint of the
        audit log that now holds the decision, and issue the final report (its SHA-256)."""
        await self._deviations.close_open()
        await workflow.execute_activity_method(
            AuditLogActivities.write_checkpoint,
            start_to_close_timeout=STORE_WRITE_GIVE_UP,
            retry_policy=STORE_RETRY,
        )
        try:
            issued = await workflow.execute_activity_method(
                ReportActivities.issue_report,
                IssueReportInput(batch_id=self._c.batch_id, final=True),
                start_to_close_timeout=REPORT_TIMEOUT,
                heartbeat_timeout=REPORT_HEARTBEAT,
            )
        except ActivityError as exc:
            # The decision stands and is signed; a report that cannot be made from the stored
            # record (retries cannot help) is reported here and made again on request.
            workflow.logger.error("the final report of %s failed: %s", self._c.batch_id, exc.cause)
            return None
        return issued.sha256

    @workflow.query
    def state(self) -> BatchState:
        return self._c.batch

    @workflow.update
    async def opened(self) -> BatchState:
        """Returns once the batch is in the record store, so a reader finds what was started."""
        await self._c.created()
        return self._c.batch

    @workflow.update
    async def sign(self, action: SignedAction) -> Recorded:
        """Record a signed record about this batch (a step's, or a decision on the batch, a
        deviation, a hold or a redline) exactly as signed, then do what it records."""
        rule = self._rule_for(action)
        await self._c.store_signed(action, lambda: rule.leaves(action))
        return await rule.apply(action)

    @sign.validator
    def _validate_sign(self, action: SignedAction) -> None:
        self._rule_for(action)

    def _rule_for(self, action: SignedAction) -> SignedRule:
        """The part that records this subject's kind, once it has checked the record."""
        subject = action.payload.subject
        try:
            rule = self._signed.get(subject.kind)
            if rule is None:
                raise PayloadMismatch(f"a {subject.kind.label} is not signed in a batch's chain")
            if subject.kind is not SubjectKind.BATCH_STEP and subject in self._c.busy:
                raise StepInProgress(
                    f"{subject} is being decided by another request", {"subject": str(subject)}
                )
            rule.check(action)
        except Refusal as exc:
            raise refusal(exc) from None
        return rule

    @workflow.update
    async def place_hold(self, request: PlaceHoldInput) -> HoldChanged:
        """Put the batch on hold: no step is performed or verified until QA lifts it."""
        self._validate_place_hold(request)
        try:
            return await self._holds.place(request)
        except Refusal as exc:
            raise refusal(exc) from None

    @place_hold.validator
    def _validate_place_hold(self, request: PlaceHoldInput) -> None:
        try:
            self._holds.check_place(request)
        except Refusal as exc:
            raise refusal(exc) from None

    @workflow.update
    async def open_deviation(self, request: OpenDeviationInput) -> DeviationChanged:
        """Anyone reports a deviation by hand, with a description (and the step it concerns)."""
        self._validate_open_deviation(request)
        try:
            return await self._deviations.open_by_hand(request)
        except Refusal as exc:
            raise refusal(exc) from None

    @open_deviation.validator
    def _validate_open_deviation(self, request: OpenDeviationInput) -> None:
        try:
            self._deviations.check_new(request)
        except Refusal as exc:
            raise refusal(exc) from None

    @workflow.signal
    async def deviation_changed(self, changed: DeviationChanged) -> None:
        """The deviation's workflow changed it (investigation, CAPA)."""
        await self._deviations.changed(changed)

    @workflow.update
    async def mark_reviewed(self, request: MarkReviewedInput) -> ReviewMarked:
        """QA marks one exception of the review as looked at (audited, once)."""
        self._validate_mark(request)
        try:
            return await self._review.mark(request)
        except Refusal as exc:
            raise refusal(exc) from None

    @mark_reviewed.validator
    def _validate_mark(self, request: MarkReviewedInput) -> None:
        try:
            self._review.check_mark(request)
        except Refusal as exc:
            raise refusal(exc) from None
