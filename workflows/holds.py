"""The batch workflow's holds: placed by a person or by the rules, lifted by QA's signature or by
the rules (``ebr.domain.holds``). Owns the ``holds`` slice of the batch's state.

While any hold is active no step is performed or verified (``Steps`` asks ``active``). Each hold
placed or lifted is stored (its audit entry and the batch's status) before the state changes.
"""

from __future__ import annotations

from typing import ClassVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.batch_events import RULES_STATION
    from activities.batch_store import BatchStoreActivities
    from ebr.domain import holds
    from ebr.domain.batch import Actor, BatchStatus
    from ebr.domain.batch_records import check_chain, check_signed_decision
    from ebr.domain.deviations import Deviation
    from ebr.domain.holds import Hold
    from ebr.domain.meanings import Meaning
    from ebr.domain.refusals import HoldNotActive, PayloadMismatch, TransitionNotAllowed
    from ebr.domain.status import BatchEvent, check_transition, resume_event
    from ebr.domain.subjects import SubjectKind
    from workflows.batch_context import BatchContext, BatchProgress
    from workflows.messages import (
        HoldChanged,
        PersistHoldInput,
        PlaceHoldInput,
        Recorded,
        SignedAction,
    )

__all__ = ["Holds", "THE_RULES"]

THE_RULES = Actor(
    user_id=holds.BY_THE_RULES, full_name="ebr batch rules", roles=(), station=RULES_STATION
)
"""Who acts when the batch's own rules act: a value out of limits, a timer, a deviation's hold."""


class Holds:
    """Place and lift holds; the signed rule for QA's lifting of a hold (subject ``hold``)."""

    signs: ClassVar[tuple[SubjectKind, ...]] = (SubjectKind.HOLD,)
    """The subject kinds whose signed records this part checks and applies."""

    def __init__(self, context: BatchContext) -> None:
        self._c = context
        self._lifting: set[str] = set()

    @property
    def _holds(self) -> list[Hold]:
        return self._c.state.holds

    def active(self) -> Hold | None:
        return holds.active_hold(self._holds)

    def check_place(self, request: PlaceHoldInput) -> None:
        holds.check_place(self._c.batch.status, actor=request.actor, reason=request.reason)

    async def place(self, request: PlaceHoldInput) -> HoldChanged:
        """Put the batch on hold: no step is performed or verified until it is lifted.

        The hold refuses new step requests at once; it is stored (audit ``hold_placed`` and the
        status ``on_hold``) once the records already being written are in, so the store sees the
        step before the hold, as the workflow did.
        """
        self._c.updates_this_run += 1
        hold = holds.apply_place(
            hold_id=self._next_id(),
            batch_id=self._c.batch_id,
            actor=request.actor,
            reason=request.reason.strip(),
            at=workflow.now(),
        )
        self._holds.append(hold)
        try:
            await workflow.wait_condition(lambda: self._c.state.created and not self._c.busy)
            self._check_still_holdable()
            await self._store(hold, "hold_placed", BatchStatus.ON_HOLD, request.actor)
        except Exception:
            self._holds.remove(hold)
            raise
        self._c.set_status(BatchStatus.ON_HOLD)
        return HoldChanged(hold=hold, batch_status=self._c.batch.status)

    def _check_still_holdable(self) -> None:
        status = self._c.batch.status
        if status is BatchStatus.ON_HOLD:
            return
        check_transition(status, BatchEvent.HOLD)
        if status is not BatchStatus.IN_PROGRESS:
            # The last step went in while the hold waited: there is no work left to hold.
            raise TransitionNotAllowed(
                f"the batch became {status.value.replace('_', ' ')} first",
                {"status": status.value, "event": BatchEvent.HOLD.value},
            )

    async def hold_for(self, dev: Deviation) -> None:
        """The rules hold the batch for a deviation that holds it (major, critical...)."""
        kind = dev.classification.value if dev.classification else "critical parameter"
        hold = holds.hold_for_deviation(
            hold_id=self._next_id(),
            batch_id=self._c.batch_id,
            deviation_id=dev.id,
            description=f"{kind}: {dev.description}",
            at=workflow.now(),
        )
        self._holds.append(hold)
        try:
            await self._store(hold, "hold_placed", BatchStatus.ON_HOLD, THE_RULES)
        except Exception:
            self._holds.remove(hold)
            raise
        self._c.set_status(BatchStatus.ON_HOLD)

    async def lift_for(self, dev: Deviation) -> None:
        """The rules lift a deviation's hold: it was classified minor, or closed."""
        held = self.of_deviation(dev)
        if held is None:
            return
        cls = dev.classification.value if dev.classification else ""
        why = (
            f"deviation {dev.id} closed: {dev.disposition.decision.value}"
            if dev.disposition
            else f"deviation {dev.id} classified {cls} (signed): {dev.classification_reason or '-'}"
        )
        by = (dev.disposition.by if dev.disposition else dev.classified_by) or holds.BY_THE_RULES
        lifted = holds.lift_for_deviation(held, by=by, reason=why, at=workflow.now())
        await self._lift(held, lifted, THE_RULES)

    def of_deviation(self, dev: Deviation) -> Hold | None:
        return next((h for h in self._holds if h.deviation_id == dev.id and h.active), None)

    # The signed rule: QA lifts a person's hold (subject ``hold``, meaning ``approved``).

    def check(self, action: SignedAction) -> None:
        payload, actor = action.payload, action.actor
        check_signed_decision(self._c.batch, actor=actor, payload=payload)
        if payload.meaning is not Meaning.APPROVED or payload.detail is not None:
            raise PayloadMismatch("a hold's lift is signed with the meaning approved, no detail")
        held = holds.find_hold(self._holds, payload.subject.id)
        if held.hold_id in self._lifting:
            raise HoldNotActive(
                f"hold {held.hold_id} is being lifted by another request",
                {"hold_id": held.hold_id},
            )
        holds.check_lift(held, actor=actor, reason=payload.reason)
        check_chain(self._c.batch, payload, last_seq=self._c.state.last_seq)

    def leaves(self, action: SignedAction) -> BatchProgress:
        batch = self._c.batch
        status = self._status_after_lift(action.payload.subject.id)
        return BatchProgress(status, batch.steps_done(), batch.completed_at)

    async def apply(self, action: SignedAction) -> Recorded:
        payload = action.payload
        held = holds.find_hold(self._holds, payload.subject.id)
        self._lifting.add(held.hold_id)
        try:
            lifted = holds.apply_lift(
                held,
                actor=action.actor,
                reason=(payload.reason or "").strip(),
                at=payload.signed_at,
            )
            await self._lift(held, lifted, action.actor)
        finally:
            self._lifting.discard(held.hold_id)
        return self._c.recorded(action, hold=lifted)

    def _status_after_lift(self, hold_id: str) -> BatchStatus:
        """The batch's status once ``hold_id`` is lifted: it resumes (to work or to review)
        when no other hold is active, and is otherwise unchanged."""
        others = any(h.active and h.hold_id != hold_id for h in self._holds)
        batch = self._c.batch
        if batch.status is not BatchStatus.ON_HOLD or others:
            return batch.status
        return check_transition(BatchStatus.ON_HOLD, resume_event(all_done=batch.all_done()))

    async def _lift(self, held: Hold, lifted: Hold, actor: Actor) -> None:
        """Store a lifted hold (audit ``hold_lifted`` and the status it leaves), then adopt it."""
        status = self._status_after_lift(held.hold_id)
        await self._store(lifted, "hold_lifted", status, actor)
        self._holds[self._holds.index(held)] = lifted
        self._c.set_status(status)

    async def _store(self, hold: Hold, action: str, status: BatchStatus, actor: Actor) -> None:
        at = hold.placed_at if action == "hold_placed" else hold.lifted_at
        assert at is not None
        await self._c.store(
            BatchStoreActivities.persist_hold,
            PersistHoldInput(hold=hold, action=action, status=status, actor=actor, at=at),
        )

    def _next_id(self) -> str:
        return f"{self._c.batch_id}-H{len(self._holds) + 1}"
