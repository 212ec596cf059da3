"""The batch workflow's deviations: opened by hand, by a value out of limits or by a timer, each
with its own child workflow (``DeviationWorkflow``); the holds they put on the batch; and QA's two
signed decisions on one: its classification (which places or lifts its hold) and its disposition
(which closes it). Owns the ``deviations`` slice of the batch's state.

A deviation is stored (audit ``deviation_opened``) before its child workflow starts, and its number
is taken before anything is awaited, so two deviations opened at once never share one. While
``deviations.holds_batch`` is true for a deviation the batch carries a hold for it, placed and
lifted by the rules, never by hand. When the child changes the deviation (investigation, CAPA),
the batch applies the change (its holds included, and keeping the decisions it recorded meanwhile:
``deviations.with_decisions``) and then tells the child, which answers its caller only then:
whoever changed a deviation reads the batch as it left it. The batch tells the child of each
signed decision (signal ``decided``, or ``closed`` for the disposition).
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from temporalio import workflow
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from ebr.domain import deviations
    from ebr.domain.batch import Actor
    from ebr.domain.batch_records import check_chain, check_signed_decision
    from ebr.domain.deviation_decisions import ClassificationDetail, Disposition, DispositionDetail
    from ebr.domain.deviations import Deviation, Origin, Stage
    from ebr.domain.meanings import Meaning
    from ebr.domain.refusals import PayloadMismatch
    from ebr.domain.status import TERMINAL
    from ebr.domain.subjects import SubjectKind
    from workflows.batch_context import BatchContext, BatchProgress
    from workflows.deviation_workflow import DeviationWorkflow, persist_deviation
    from workflows.holds import Holds
    from workflows.messages import (
        DeviationApplied,
        DeviationChanged,
        DeviationStart,
        OpenDeviationInput,
        Recorded,
        SignedAction,
    )

__all__ = ["Deviations"]


class Deviations:
    """Open deviations and keep the batch's copy of each; the signed rules for a classification
    (subject ``deviation``, meaning ``classified``) and a disposition (meaning ``approved``)."""

    signs: ClassVar[tuple[SubjectKind, ...]] = (SubjectKind.DEVIATION,)
    """The subject kinds whose signed records this part checks and applies."""

    def __init__(self, context: BatchContext, holds: Holds) -> None:
        self._c = context
        self._holds = holds
        self._sync = asyncio.Lock()

    @property
    def all(self) -> list[Deviation]:
        return self._c.state.deviations

    def check_new(self, request: OpenDeviationInput) -> None:
        self._c.require_undecided()
        deviations.check_new_deviation(
            self._c.recipe,
            actor=request.actor,
            description=request.description,
            step_id=request.step_id,
        )

    async def open_by_hand(self, request: OpenDeviationInput) -> DeviationChanged:
        """Anyone reports a deviation by hand, with a description (and the step it concerns)."""
        progress = self._c.batch.progress(request.step_id) if request.step_id else None
        dev = await self.open(
            origin=Origin.MANUAL,
            description=request.description.strip(),
            actor=request.actor,
            step_id=request.step_id,
            execution=progress.execution if progress else None,
        )
        return DeviationChanged(deviation=dev, batch_status=self._c.batch.status)

    async def open(
        self,
        *,
        origin: Origin,
        description: str,
        actor: Actor,
        step_id: str | None = None,
        execution: int | None = None,
        critical: bool = False,
    ) -> Deviation:
        batch_id = self._c.batch_id
        dev = Deviation(
            id=deviations.deviation_id(batch_id, len(self.all) + 1),
            batch_id=batch_id,
            opened_at=workflow.now(),
            opened_by=actor.user_id,
            origin=origin,
            description=description,
            step_id=step_id,
            execution=execution,
            critical=critical,
        )
        self.all.append(dev)  # the number is taken now
        await self._c.created()
        await persist_deviation(dev, "deviation_opened", actor)
        await workflow.start_child_workflow(
            DeviationWorkflow.run,
            DeviationStart(deviation=dev, recipe=self._c.recipe, batch_workflow_id=batch_id),
            id=dev.id,
            task_queue=workflow.info().task_queue,
            # The batch continues as new now and then; its deviations must outlive each run.
            parent_close_policy=ParentClosePolicy.ABANDON,
        )
        self._c.changed()
        await self.sync_holds()
        return dev

    async def changed(self, message: DeviationChanged) -> None:
        """The deviation's workflow changed it: adopt the change (unless the disposition, the
        last word, came first), place or lift its hold, then tell the workflow it is applied."""
        dev = message.deviation
        index = next((i for i, d in enumerate(self.all) if d.id == dev.id), None)
        if index is not None and self.all[index].stage is not Stage.CLOSED:
            self.all[index] = deviations.with_decisions(dev, self.all[index])
            self._c.changed()
            await self.sync_holds()
        applied = DeviationApplied(change=message.change, batch_status=self._c.batch.status)
        await _signal(dev.id, "batch_applied", applied)

    async def sync_holds(self) -> None:
        """Place a hold for each deviation that holds the batch and has none; lift the hold of
        each that no longer does (classified minor, or closed). One sync at a time."""
        async with self._sync:
            for dev in list(self.all):
                held = self._holds.of_deviation(dev)
                if deviations.holds_batch(dev) and held is None:
                    if self._c.batch.status not in TERMINAL:
                        await self._holds.hold_for(dev)
                elif held is not None and not deviations.holds_batch(dev):
                    await self._holds.lift_for(dev)

    async def close_open(self) -> None:
        """The batch is decided: each deviation's workflow still open ends with it."""
        for dev in self.all:
            if dev.stage is not Stage.CLOSED:
                await _signal(dev.id, "closed", DeviationChanged(deviation=dev))

    # The signed rules: QA's classification of an investigated deviation, with a reason (one
    # below the rules' class is an exception of the review), and QA's disposition of a
    # classified one.

    def check(self, action: SignedAction) -> None:
        payload, actor = action.payload, action.actor
        check_signed_decision(self._c.batch, actor=actor, payload=payload)
        if payload.meaning not in (Meaning.CLASSIFIED, Meaning.APPROVED):
            raise PayloadMismatch(
                "a deviation's classification is signed with the meaning classified, its "
                "disposition with the meaning approved"
            )
        dev = deviations.find_deviation(self.all, payload.subject.id)
        self._c.require_undecided()
        if payload.meaning is Meaning.CLASSIFIED:
            signed = ClassificationDetail.of(payload.detail)
            deviations.check_classify(
                dev, actor=actor, classification=signed.classification, reason=payload.reason
            )
        else:
            ruling = self._ruling(action)
            deviations.check_disposition(
                dev, self._c.batch, self._c.recipe, actor=actor, ruling=ruling
            )
        check_chain(self._c.batch, payload, last_seq=self._c.state.last_seq)

    def leaves(self, action: SignedAction) -> BatchProgress:
        """A classification leaves the status as it is (its hold follows once it is stored); a
        disposition, as its outcome makes it."""
        after = self._c.batch.model_copy(deep=True)
        if action.payload.meaning is Meaning.APPROVED:
            dev = deviations.find_deviation(self.all, action.payload.subject.id)
            deviations.apply_outcome(after, deviations.apply_disposition(dev, self._ruling(action)))
        return BatchProgress.of(after)

    async def apply(self, action: SignedAction) -> Recorded:
        payload = action.payload
        dev = deviations.find_deviation(self.all, payload.subject.id)
        if payload.meaning is Meaning.CLASSIFIED:
            return await self._classify(action, dev)
        closed = deviations.apply_disposition(dev, self._ruling(action))
        capa_ref = DispositionDetail.of(payload.detail).capa_ref
        if capa_ref and capa_ref.strip():
            closed = deviations.apply_capa(closed, capa_ref=capa_ref)
        self.all[self.all.index(dev)] = closed
        before = self._c.batch.status
        reopened = deviations.apply_outcome(self._c.batch, closed)
        if reopened:
            self._c.state.not_before = payload.signed_at  # the reopened steps' clocks restart
        self._c.status_moved(before)
        self._c.changed()
        await persist_deviation(closed, "deviation_closed", action.actor, payload.reason)
        await _signal(closed.id, "closed", DeviationChanged(deviation=closed))
        await self.sync_holds()
        return self._c.recorded(
            action, deviation=closed, reopened=tuple(p.step_id for p in reopened)
        )

    async def _classify(self, action: SignedAction, dev: Deviation) -> Recorded:
        """Adopt the signed classification, audit it (with its reason), tell the deviation's
        workflow, and place or lift the deviation's hold (a minor one lifts it)."""
        payload = action.payload
        classified = deviations.apply_classify(
            dev,
            actor=action.actor,
            classification=ClassificationDetail.of(payload.detail).classification,
            reason=payload.reason or "",
            at=payload.signed_at,
        )
        self.all[self.all.index(dev)] = classified
        self._c.changed()
        await persist_deviation(classified, "deviation_classified", action.actor, payload.reason)
        await _signal(classified.id, "decided", DeviationChanged(deviation=classified))
        await self.sync_holds()
        return self._c.recorded(action, deviation=classified)

    @staticmethod
    def _ruling(action: SignedAction) -> Disposition:
        payload = action.payload
        detail = DispositionDetail.of(payload.detail)
        return detail.ruling(reason=payload.reason, by=action.actor.user_id, at=payload.signed_at)


async def _signal(deviation_id: str, name: str, message: object) -> None:
    """Signal a deviation's workflow; one that has ended (terminated by hand) is not waited for:
    the batch's record, not the child, is the evidence."""
    try:
        await workflow.get_external_workflow_handle(deviation_id).signal(name, message)
    except Exception as exc:  # the failure Temporal reports for a workflow that is gone
        workflow.logger.warning("deviation %s did not take %s: %s", deviation_id, name, exc)
