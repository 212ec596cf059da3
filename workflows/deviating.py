"""Deviations of a batch: opening them (by hand, by a value out of limits, by a timer), starting
each one's child workflow, and the holds they put on the batch. Mixed into BatchWorkflow."""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.workflow import ParentClosePolicy

from workflows.holding import HoldUpdates

with workflow.unsafe.imports_passed_through():
    from activities.batch_events import RULES_STATION
    from ebr.domain import deviations, holds
    from ebr.domain.batch import Actor, BatchStatus
    from ebr.domain.deviations import Deviation, Origin, Stage
    from ebr.domain.recipe import Recipe
    from ebr.domain.refusals import BatchNotActive, Refusal
    from ebr.domain.status import TERMINAL
    from workflows.calls import refusal
    from workflows.deviation import DeviationWorkflow, persist_deviation
    from workflows.messages import (
        DeviationChanged,
        DeviationStart,
        OpenDeviationInput,
    )

THE_RULES = Actor(
    user_id=holds.BY_THE_RULES, full_name="ebr batch rules", roles=(), station=RULES_STATION
)
"""Who acts when the batch's own rules act: a value out of limits, a timer, a deviation's hold."""


class DeviationUpdates(HoldUpdates):
    """Open deviations and keep the batch's copy of each; hold the batch while one holds it.

    A deviation is stored (audit ``deviation_opened``) before its child workflow starts, and its
    number is taken before anything is awaited, so two deviations opened at once never share one.
    While ``deviations.holds_batch`` is true for a deviation the batch carries a hold for it,
    placed and lifted by the rules (``holds.hold_for_deviation``), never by hand.
    """

    _recipe: Recipe
    _deviations: list[Deviation]
    _version: int
    _hold_sync: asyncio.Lock

    @workflow.update
    async def open_deviation(self, request: OpenDeviationInput) -> DeviationChanged:
        """Anyone reports a deviation by hand, with a description (and the step it concerns)."""
        self._check_new_deviation(request)
        progress = self._state.progress(request.step_id) if request.step_id else None
        dev = await self._open_deviation(
            origin=Origin.MANUAL,
            description=request.description.strip(),
            actor=request.actor,
            step_id=request.step_id,
            execution=progress.execution if progress else None,
        )
        return DeviationChanged(deviation=dev)

    @open_deviation.validator
    def _validate_new_deviation(self, request: OpenDeviationInput) -> None:
        self._check_new_deviation(request)

    def _check_new_deviation(self, request: OpenDeviationInput) -> None:
        try:
            if self._state.status in TERMINAL:
                raise BatchNotActive(
                    f"batch {self._state.header.batch_id} is {self._state.status.value}: "
                    "its record is closed",
                    {"status": self._state.status.value},
                )
            deviations.check_new_deviation(
                self._recipe, description=request.description, step_id=request.step_id
            )
        except Refusal as exc:
            raise refusal(exc) from None

    @workflow.signal
    async def deviation_changed(self, changed: DeviationChanged) -> None:
        """The deviation's workflow changed it (investigation, classification, CAPA)."""
        dev = changed.deviation
        index = next((i for i, d in enumerate(self._deviations) if d.id == dev.id), None)
        if index is None or self._deviations[index].stage is Stage.CLOSED:
            return  # closed here first: the disposition is the last word
        self._deviations[index] = dev
        self._version += 1
        await self._sync_deviation_holds()

    async def _open_deviation(
        self,
        *,
        origin: Origin,
        description: str,
        actor: Actor,
        step_id: str | None = None,
        execution: int | None = None,
        critical: bool = False,
    ) -> Deviation:
        batch_id = self._state.header.batch_id
        dev = Deviation(
            id=deviations.deviation_id(batch_id, len(self._deviations) + 1),
            batch_id=batch_id,
            opened_at=workflow.now(),
            opened_by=actor.user_id,
            origin=origin,
            description=description,
            step_id=step_id,
            execution=execution,
            critical=critical,
        )
        self._deviations.append(dev)  # the number is taken now
        await workflow.wait_condition(lambda: self._created)
        await self._persist_deviation(dev, "deviation_opened", actor)
        await workflow.start_child_workflow(
            DeviationWorkflow.run,
            DeviationStart(deviation=dev, recipe=self._recipe, batch_workflow_id=batch_id),
            id=dev.id,
            task_queue=workflow.info().task_queue,
            # The batch continues as new now and then; its deviations must outlive each run.
            parent_close_policy=ParentClosePolicy.ABANDON,
        )
        self._version += 1
        await self._sync_deviation_holds()
        return dev

    async def _persist_deviation(
        self, dev: Deviation, action: str, actor: Actor, reason: str | None = None
    ) -> None:
        await persist_deviation(dev, action, actor, reason)

    async def _close_deviation_workflow(self, dev: Deviation) -> None:
        handle = workflow.get_external_workflow_handle(dev.id)
        await handle.signal(DeviationWorkflow.closed, DeviationChanged(deviation=dev))

    async def _sync_deviation_holds(self) -> None:
        """Place a hold for each deviation that holds the batch and has none; lift the hold of
        each that no longer does (classified minor, or closed). One sync at a time."""
        async with self._hold_sync:
            for dev in list(self._deviations):
                held = next((h for h in self._holds if h.deviation_id == dev.id and h.active), None)
                if deviations.holds_batch(dev) and held is None:
                    await self._hold_for(dev)
                elif held is not None and not deviations.holds_batch(dev):
                    await self._release_hold_of(dev, held)

    async def _hold_for(self, dev: Deviation) -> None:
        if self._state.status in TERMINAL:
            return
        kind = dev.classification.value if dev.classification else "critical parameter"
        hold = holds.hold_for_deviation(
            hold_id=f"{self._state.header.batch_id}-H{len(self._holds) + 1}",
            batch_id=self._state.header.batch_id,
            deviation_id=dev.id,
            description=f"{kind}: {dev.description}",
            at=workflow.now(),
        )
        self._holds.append(hold)
        try:
            await self._persist_hold(hold, "hold_placed", BatchStatus.ON_HOLD, THE_RULES)
        except Exception:
            self._holds.remove(hold)
            raise
        self._set_status(BatchStatus.ON_HOLD)

    async def _release_hold_of(self, dev: Deviation, held: holds.Hold) -> None:
        why = (
            f"deviation {dev.id} closed: {dev.disposition.decision.value}"
            if dev.disposition
            else f"deviation {dev.id} classified {dev.classification.value if dev.classification else ''}"
        )
        by = (dev.disposition.by if dev.disposition else dev.classified_by) or holds.BY_THE_RULES
        lifted = holds.lift_for_deviation(held, by=by, reason=why, at=workflow.now())
        await self._store_lift(held, lifted, THE_RULES)
