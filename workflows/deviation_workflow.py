"""DeviationWorkflow: one deviation's life, from opening to QA's disposition, as a child of its batch.

The batch opens it (workflow id = deviation id) and keeps a copy of it; this workflow takes the
investigation (a supervisor) and CAPA references, audits each new version, and tells the batch
(signal ``deviation_changed``), which decides what the deviation does to the batch (a hold for a
major or critical one) and says when it has (signal ``batch_applied``): only then does the update
answer, so the caller's next read shows the batch as the change left it. QA's classification and
disposition are signatures in the batch's record chain, so the batch records them: it tells this
workflow of the classification (signal ``decided``) and closes it with the disposition (signal
``closed``, the final version); a batch that ends first closes it too. A change made here while
the batch recorded a decision never undoes the decision (``deviations.with_decisions``).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.batch_events import BatchEventActivities
    from ebr.domain import deviations
    from ebr.domain.batch import Actor
    from ebr.domain.deviations import Deviation, Investigation
    from ebr.domain.refusals import DeviationStateError, Refusal
    from workflows.calls import STORE_RETRY, STORE_WRITE_GIVE_UP, STORE_WRITE_TIMEOUT, refusal
    from workflows.messages import (
        CapaInput,
        DeviationApplied,
        DeviationChanged,
        DeviationStart,
        InvestigateInput,
        PersistDeviationInput,
    )


BATCH_ANSWER = timedelta(minutes=1)


@workflow.defn
class DeviationWorkflow:
    """Guarantees: stages go open → investigated → classified → closed, each by its role
    (``ebr.domain.deviations``; the last two are signed decisions the batch records); a refused
    request writes nothing; each accepted change is audited before the batch is told, and the
    caller hears of it once the batch has applied it; one change at a time."""

    @workflow.init
    def __init__(self, start: DeviationStart) -> None:
        self._dev = start.deviation
        self._recipe = start.recipe
        self._batch = start.batch_workflow_id
        self._changing = False
        self._over = False
        # Changes sent to the batch, and the last one it applied (with its status after it).
        self._sent = 0
        self._applied: DeviationApplied | None = None

    @workflow.run
    async def run(self, start: DeviationStart) -> Deviation:
        await workflow.wait_condition(lambda: self._over)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._dev

    @workflow.query
    def deviation(self) -> Deviation:
        return self._dev

    @workflow.signal
    def closed(self, changed: DeviationChanged) -> None:
        """The batch recorded the disposition (or ended): this is the deviation's last version."""
        self._dev = changed.deviation
        self._over = True

    @workflow.signal
    def decided(self, changed: DeviationChanged) -> None:
        """The batch recorded QA's signed classification: adopt it, keeping this workflow's own
        changes (a CAPA being attached)."""
        self._dev = deviations.with_decisions(self._dev, changed.deviation)

    @workflow.signal
    def batch_applied(self, applied: DeviationApplied) -> None:
        """The batch applied change ``applied.change`` (its holds placed or lifted, stored)."""
        if self._applied is None or applied.change > self._applied.change:
            self._applied = applied

    @workflow.update
    async def investigate(self, request: InvestigateInput) -> DeviationChanged:
        found = self._investigation(request)
        return await self._change(
            deviations.apply_investigate(self._dev, found), "deviation_investigated", request.actor
        )

    @investigate.validator
    def _validate_investigate(self, request: InvestigateInput) -> None:
        self._investigation(request)

    def _investigation(self, request: InvestigateInput) -> Investigation:
        self._check_free()
        found = Investigation(
            root_cause=request.root_cause.strip(),
            impact=request.impact.strip(),
            affected_steps=request.affected_steps,
            by=request.actor.user_id,
            at=workflow.now(),
        )
        try:
            deviations.check_investigate(self._dev, self._recipe, actor=request.actor, found=found)
        except Refusal as exc:
            raise refusal(exc) from None
        return found

    @workflow.update
    async def attach_capa(self, request: CapaInput) -> DeviationChanged:
        self._check_capa(request)
        changed = deviations.apply_capa(self._dev, capa_ref=request.capa_ref)
        return await self._change(changed, "capa_attached", request.actor)

    @attach_capa.validator
    def _validate_capa(self, request: CapaInput) -> None:
        self._check_capa(request)

    def _check_capa(self, request: CapaInput) -> None:
        self._check_free()
        try:
            if self._over:
                raise DeviationStateError(
                    f"deviation {self._dev.id} is closed: its CAPA went with the disposition",
                    {"deviation_id": self._dev.id, "stage": self._dev.stage.value},
                )
            deviations.check_capa(self._dev, actor=request.actor, capa_ref=request.capa_ref)
        except Refusal as exc:
            raise refusal(exc) from None

    def _check_free(self) -> None:
        if self._over:
            raise refusal(
                DeviationStateError(
                    f"deviation {self._dev.id} is {self._dev.stage.value} and its batch decided",
                    {"deviation_id": self._dev.id, "stage": self._dev.stage.value},
                )
            )
        if self._changing:
            raise refusal(
                DeviationStateError(
                    f"deviation {self._dev.id} is being changed by another request; try again",
                    {"deviation_id": self._dev.id, "stage": self._dev.stage.value},
                )
            )

    async def _applied_by_batch(self, change: int) -> None:
        """Wait until the batch has applied ``change`` (or closed this deviation). A batch that
        does not answer within ``BATCH_ANSWER`` is not waited for longer: the change is stored,
        and a stuck deviation would be worse than a page that shows it a moment late."""
        try:
            await workflow.wait_condition(
                lambda: (
                    self._over or (self._applied is not None and self._applied.change >= change)
                ),
                timeout=BATCH_ANSWER,
            )
        except TimeoutError:
            workflow.logger.warning("batch %s did not apply change %d in time", self._batch, change)

    async def _change(
        self, changed: Deviation, action: str, actor: Actor, *, reason: str | None = None
    ) -> DeviationChanged:
        """Audit the new version, adopt it, tell the batch, and answer once the batch applied it."""
        self._changing = True
        try:
            await persist_deviation(changed, action, actor, reason)
            changed = deviations.with_decisions(changed, self._dev)  # one decided meanwhile
            self._dev = changed
            self._sent += 1
            change = self._sent
            batch = workflow.get_external_workflow_handle(self._batch)
            await batch.signal(
                "deviation_changed", DeviationChanged(deviation=changed, change=change)
            )
            await self._applied_by_batch(change)
        finally:
            self._changing = False
        status = self._applied.batch_status if self._applied is not None else None
        return DeviationChanged(deviation=changed, change=change, batch_status=status)


async def persist_deviation(
    dev: Deviation, action: str, actor: Actor, reason: str | None = None
) -> None:
    """Audit a deviation's new version under the action that made it (once, by its key)."""
    await workflow.execute_local_activity_method(
        BatchEventActivities.persist_deviation,
        PersistDeviationInput(
            deviation=dev,
            action=action,
            actor_id=actor.user_id,
            station=actor.station,
            at=workflow.now(),
            reason=reason,
        ),
        start_to_close_timeout=STORE_WRITE_TIMEOUT,
        schedule_to_close_timeout=STORE_WRITE_GIVE_UP,
        retry_policy=STORE_RETRY,
    )
