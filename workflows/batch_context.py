"""What the parts of a batch workflow share: the one state, the recipe, and the moves that touch
more than one part's slice (the status, storing a signed record, waking the clock).

The recipe the parts run is the batch's: its master with the approved redlines applied
(``ebr.domain.redlines.effective``), made again from the master and the state when a run starts,
and replaced by ``Redlines`` when QA approves one.

Each part (steps, holds, deviations, timers, review) gets this context and the parts it calls;
none reaches into another's private methods. A part that records a kind of signed record
implements ``SignedRule``, and ``BatchWorkflow.sign`` dispatches to it by the subject's kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Protocol, TypeVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.signed_records import SignedRecordActivities
    from ebr.domain.batch import BatchState, BatchStatus
    from ebr.domain.recipe import Recipe
    from ebr.domain.redlines import effective
    from ebr.domain.refusals import BatchNotActive
    from ebr.domain.status import TERMINAL
    from ebr.domain.subjects import Subject, SubjectKind
    from workflows.batch_state import BatchWorkflowState
    from workflows.calls import STATUS_KEY, STORE_RETRY, STORE_WRITE_GIVE_UP, STORE_WRITE_TIMEOUT
    from workflows.messages import PersistSignedInput, Recorded, SignedAction, SignedStored

__all__ = ["BatchContext", "BatchProgress", "SignedRule"]

T = TypeVar("T")


@dataclass(frozen=True)
class BatchProgress:
    """Where a signed record leaves its batch: stored with the record, in one transaction.
    ``steps_total`` is set when the record changes the batch's steps (an approved redline)."""

    status: BatchStatus
    steps_done: int
    completed_at: datetime | None
    steps_total: int | None = None

    @classmethod
    def of(cls, batch: BatchState) -> BatchProgress:
        return cls(batch.status, batch.steps_done(), batch.completed_at)


class SignedRule(Protocol):
    """How a batch records the signed records of the subject kinds in ``signs`` (a step's, or a
    decision on a subject)."""

    signs: ClassVar[tuple[SubjectKind, ...]]

    def check(self, action: SignedAction) -> None:
        """Refuse (raise a ``Refusal``) what may not be recorded now, exactly as signed; the
        last check is that it was signed on the chain's head (``check_chain``)."""

    def leaves(self, action: SignedAction) -> BatchProgress:
        """Where the record will leave the batch (asked once the batch's row exists)."""

    async def apply(self, action: SignedAction) -> Recorded:
        """Do what the stored record records, and answer with what it changed."""


class BatchContext:
    """The batch's state and recipe, and the moves every part makes. ``master`` is the recipe
    version the batch was started on (its hash is the batch's); ``recipe`` the one it runs."""

    def __init__(self, state: BatchWorkflowState, master: Recipe, *, updates_per_run: int) -> None:
        self.state = state
        self.master = master
        self.recipe = effective(master, state.redlines)
        # Subjects being recorded now: a second record of one is refused until the first is in.
        self.busy: set[Subject] = set()
        self.updates_this_run = 0
        self.updates_per_run = updates_per_run
        # Counts the changes the clock must look at (``Timers.watch`` sleeps until one).
        self.version = 0

    @property
    def batch(self) -> BatchState:
        return self.state.batch

    @property
    def batch_id(self) -> str:
        return self.state.batch.header.batch_id

    def changed(self) -> None:
        self.version += 1

    async def created(self) -> None:
        """Wait until the batch's row is in the store: every write of the batch refers to it."""
        await workflow.wait_condition(lambda: self.state.created)

    def set_status(self, status: BatchStatus) -> None:
        if self.batch.status is not status:
            self.batch.status = status
            workflow.upsert_search_attributes([STATUS_KEY.value_set(status.value)])

    def status_moved(self, before: BatchStatus) -> None:
        """The domain moved the status (``before`` → now): tell Temporal's search attribute."""
        if self.batch.status is not before:
            workflow.upsert_search_attributes([STATUS_KEY.value_set(self.batch.status.value)])

    def require_undecided(self) -> None:
        if self.batch.status in TERMINAL:
            raise BatchNotActive(
                f"batch {self.batch_id} is {self.batch.status.value}: its record is closed",
                {"status": self.batch.status.value},
            )

    async def store(self, activity: Callable[[Any, Any], T], arg: Any) -> T:
        """Run a store activity, locally: idempotent, retried until the store answers."""
        result: T = await workflow.execute_local_activity_method(
            activity,
            arg,
            start_to_close_timeout=STORE_WRITE_TIMEOUT,
            schedule_to_close_timeout=STORE_WRITE_GIVE_UP,
            retry_policy=STORE_RETRY,
        )
        return result

    async def store_signed(self, action: SignedAction, leaves: Callable[[], BatchProgress]) -> None:
        """Take the record's place in the chain now (a concurrent signature must sign again),
        store it with the batch as it leaves it (``leaves``, asked once the batch is created),
        and move the chain head. A failed write gives the place back."""
        payload = action.payload
        subject = payload.subject
        self.busy.add(subject)
        self.updates_this_run += 1
        self.state.last_seq = payload.seq
        try:
            await self.created()
            after = leaves()
            stored: SignedStored = await self.store(
                SignedRecordActivities.persist_signed_record,
                PersistSignedInput(
                    payload=payload,
                    signature=action.signature,
                    key_id=action.key_id,
                    status=after.status,
                    steps_done=after.steps_done,
                    completed_at=after.completed_at,
                    steps_total=after.steps_total,
                ),
            )
        except Exception:
            if self.state.last_seq == payload.seq:
                self.state.last_seq = payload.seq - 1
            raise
        finally:
            self.busy.discard(subject)
        self.batch.chain_head = stored.record_hash

    def recorded(self, action: SignedAction, **changed: Any) -> Recorded:
        """The answer to a signed record: the record, and the batch as it stands now."""
        return Recorded(
            record=action.payload.to_record(),
            batch_status=self.batch.status,
            steps_done=self.batch.steps_done(),
            steps_total=len(self.batch.steps),
            **changed,
        )

    def run_is_long(self) -> bool:
        return (
            self.updates_this_run >= self.updates_per_run
            or workflow.info().is_continue_as_new_suggested()
        )
