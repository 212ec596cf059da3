"""Holds of a batch: the updates that place and lift them, mixed into BatchWorkflow."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.batch_store import BatchStoreActivities
    from ebr.domain import holds
    from ebr.domain.batch import Actor, BatchState, BatchStatus
    from ebr.domain.holds import Hold
    from ebr.domain.refusals import (
        HoldNotActive,
        Refusal,
        SignatureRequired,
        TransitionNotAllowed,
    )
    from ebr.domain.status import BatchEvent, check_transition, resume_event
    from workflows.calls import (
        STATUS_KEY,
        STORE_RETRY,
        STORE_WRITE_GIVE_UP,
        STORE_WRITE_TIMEOUT,
        refusal,
    )
    from workflows.messages import HoldChanged, LiftHoldInput, PersistHoldInput, PlaceHoldInput


class HoldUpdates:
    """Place and lift holds (``ebr.domain.holds``); BatchWorkflow sets the attributes below.

    While any hold is active BatchWorkflow refuses step records with ``batch_on_hold``. Each hold
    placed or lifted is stored (audit entry and status) before the state changes.
    """

    _state: BatchState
    _holds: list[Hold]
    _lifting: set[str]
    _busy: set[str]
    _created: bool
    _updates_this_run: int
    _v2: bool

    @workflow.update
    async def place_hold(self, request: PlaceHoldInput) -> HoldChanged:
        """Put the batch on hold: from now on no step is performed or verified until it is lifted.

        The hold refuses new step requests at once; it is stored (audit ``hold_placed`` and the
        status ``on_hold``) once the records already being written are in, so the store sees the
        step before the hold, as the workflow did.
        """
        self._check_place(request)
        self._updates_this_run += 1
        hold = holds.apply_place(
            hold_id=f"{self._state.header.batch_id}-H{len(self._holds) + 1}",
            batch_id=self._state.header.batch_id,
            actor=request.actor,
            reason=request.reason.strip(),
            at=workflow.now(),
        )
        self._holds.append(hold)
        try:
            await workflow.wait_condition(lambda: self._created and not self._busy)
            if self._state.status is not BatchStatus.ON_HOLD:
                check_transition(self._state.status, BatchEvent.HOLD)
                if self._state.status is not BatchStatus.IN_PROGRESS:
                    # The last step went in while the hold waited: there is no work left to hold.
                    raise TransitionNotAllowed(
                        f"the batch became {self._state.status.value.replace('_', ' ')} first",
                        {"status": self._state.status.value, "event": BatchEvent.HOLD.value},
                    )
            await self._persist_hold(hold, "hold_placed", BatchStatus.ON_HOLD, request.actor)
        except Refusal as exc:
            self._holds.remove(hold)
            raise refusal(exc) from None
        except Exception:
            self._holds.remove(hold)
            raise
        self._set_status(BatchStatus.ON_HOLD)
        return HoldChanged(hold=hold, batch_status=self._state.status)

    @place_hold.validator
    def _validate_place(self, request: PlaceHoldInput) -> None:
        self._check_place(request)

    def _check_place(self, request: PlaceHoldInput) -> None:
        try:
            holds.check_place(self._state.status, actor=request.actor, reason=request.reason)
        except Refusal as exc:
            raise refusal(exc) from None

    @workflow.update
    async def lift_hold(self, request: LiftHoldInput) -> HoldChanged:
        """Lift a hold (QA, with a reason); the batch resumes when no other hold is active.

        The lift is recorded with QA's authenticated identity (audit ``hold_lifted``); it is not
        an electronic signature.
        """
        held = self._check_lift(request)
        self._updates_this_run += 1
        self._lifting.add(held.hold_id)
        try:
            await workflow.wait_condition(lambda: self._created)
            lifted = holds.apply_lift(
                held, actor=request.actor, reason=request.reason.strip(), at=workflow.now()
            )
            await self._store_lift(held, lifted, request.actor)
        finally:
            self._lifting.discard(held.hold_id)
        return HoldChanged(hold=lifted, batch_status=self._state.status)

    @lift_hold.validator
    def _validate_lift(self, request: LiftHoldInput) -> None:
        self._check_lift(request)

    def _check_lift(self, request: LiftHoldInput) -> Hold:
        try:
            if self._v2:
                raise SignatureRequired(
                    "lifting a hold is a signed decision in this batch: use the decide update",
                    {"hold_id": request.hold_id},
                )
            if request.hold_id is None:
                held = holds.active_hold(h for h in self._holds if h.hold_id not in self._lifting)
                if held is None:
                    raise HoldNotActive("the batch has no active hold to lift", {"hold_id": None})
            else:
                held = holds.find_hold(self._holds, request.hold_id)
            if held.hold_id in self._lifting:
                raise HoldNotActive(
                    f"hold {held.hold_id} is being lifted by another request",
                    {"hold_id": held.hold_id},
                )
            holds.check_lift(held, actor=request.actor, reason=request.reason)
        except Refusal as exc:
            raise refusal(exc) from None
        return held

    def _status_after_lift(self, hold_id: str) -> BatchStatus:
        """The batch's status once ``hold_id`` is lifted: it resumes (to work or to review)
        when no other hold is active, and is otherwise unchanged."""
        others = any(h.active and h.hold_id != hold_id for h in self._holds)
        if self._state.status is not BatchStatus.ON_HOLD or others:
            return self._state.status
        return check_transition(BatchStatus.ON_HOLD, resume_event(all_done=self._state.all_done()))

    async def _store_lift(self, held: Hold, lifted: Hold, actor: Actor) -> None:
        """Store a lifted hold (audit ``hold_lifted`` and the status it leaves), then adopt it."""
        status = self._status_after_lift(held.hold_id)
        await self._persist_hold(lifted, "hold_lifted", status, actor)
        self._holds[self._holds.index(held)] = lifted
        self._set_status(status)

    async def _persist_hold(
        self, hold: Hold, action: str, status: BatchStatus, actor: Actor
    ) -> None:
        at = hold.placed_at if action == "hold_placed" else hold.lifted_at
        assert at is not None
        await workflow.execute_local_activity_method(
            BatchStoreActivities.persist_hold,
            PersistHoldInput(hold=hold, action=action, status=status, actor=actor, at=at),
            start_to_close_timeout=STORE_WRITE_TIMEOUT,
            schedule_to_close_timeout=STORE_WRITE_GIVE_UP,
            retry_policy=STORE_RETRY,
        )

    def _set_status(self, status: BatchStatus) -> None:
        if self._state.status is not status:
            self._state.status = status
            workflow.upsert_search_attributes([STATUS_KEY.value_set(status.value)])
