"""The batch workflow's signed step records: performed, verified, corrected. Owns the ``batch``
(each step's progress), ``record_exceptions`` and ``executors`` slices of the batch's state.

Steps are completed strictly in the order of the recipe the batch runs (its master, as changed by
its approved redlines), each by a person holding the step's role; a step that needs verification
(the recipe asks for it, or it records a critical input) is verified by a second, qualified person
before the next can start. A correction of such a step returns it to awaiting verification, by
someone who entered none of its values; the steps after it wait for that verification.
A value out of limits is recorded as entered, with the person's comment, and opens a deviation
(on a critical parameter it holds the batch). A completion after a deadline is a breach, found
before the completion is applied.
"""

from __future__ import annotations

from typing import ClassVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from ebr.domain import execution, holds, review, timing
    from ebr.domain.batch import BatchStatus, StepProgress, StepStatus
    from ebr.domain.batch_records import check_signed_step
    from ebr.domain.deviations import Origin
    from ebr.domain.meanings import Meaning
    from ebr.domain.signed_records import RecordPayload
    from ebr.domain.step_verification import needs_verification
    from ebr.domain.subjects import SubjectKind
    from workflows.batch_context import BatchContext, BatchProgress
    from workflows.deviations import Deviations
    from workflows.holds import THE_RULES, Holds
    from workflows.messages import Recorded, SignedAction
    from workflows.redlines import Redlines
    from workflows.timers import Timers

__all__ = ["Steps"]


class Steps:
    """The signed rule for a step record (subject ``batch-step``)."""

    signs: ClassVar[tuple[SubjectKind, ...]] = (SubjectKind.BATCH_STEP,)
    """The subject kinds whose signed records this part checks and applies."""

    def __init__(
        self,
        context: BatchContext,
        holds: Holds,
        deviations: Deviations,
        timers: Timers,
        redlines: Redlines,
    ) -> None:
        self._c = context
        self._holds = holds
        self._deviations = deviations
        self._timers = timers
        self._redlines = redlines

    def check(self, action: SignedAction) -> None:
        payload = action.payload
        batch = self._c.batch
        self._redlines.check_settled()
        if payload.meaning in (Meaning.PERFORMED, Meaning.VERIFIED):
            holds.check_not_on_hold(self._holds.active())
        busy = frozenset(s.id for s in self._c.busy if s.kind is SubjectKind.BATCH_STEP)
        check_signed_step(
            batch,
            self._c.recipe,
            actor=action.actor,
            payload=payload,
            entered=action.entered,
            last_seq=self._c.state.last_seq,
            busy=busy,
        )
        if payload.meaning is Meaning.PERFORMED:
            execution.out_of_limit_policy(payload.values, payload.comment)
            step = self._c.recipe.step(payload.subject.id)
            assert step is not None  # checked above
            started = timing.step_started_at(batch, step.id, not_before=self._c.state.not_before)
            timing.check_min_duration(step, started_at=started, at=workflow.now())

    def leaves(self, action: SignedAction) -> BatchProgress:
        """The batch's status, steps done and completion once this record is in."""
        payload = action.payload
        batch = self._c.batch
        done = self._steps_done_after(payload)
        if done == len(batch.steps):
            return BatchProgress(BatchStatus.AWAITING_REVIEW, done, payload.signed_at)
        return BatchProgress(batch.status, done, None)

    async def apply(self, action: SignedAction) -> Recorded:
        payload = action.payload
        late = self._timers.claim(payload.subject.id)
        before = self._c.batch.status
        progress = self._apply(action)
        self._c.status_moved(before)
        self._note(action, progress)
        await self._timers.handle(late)
        await self._open_for_values(payload)
        return self._c.recorded(action, progress=progress.model_copy())

    def _apply(self, action: SignedAction) -> StepProgress:
        payload, at = action.payload, action.payload.signed_at
        step_id = payload.subject.id
        batch, recipe = self._c.batch, self._c.recipe
        if payload.meaning is Meaning.PERFORMED:
            return execution.apply_complete(
                batch, recipe, step_id=step_id, actor=action.actor, at=at
            )
        if payload.meaning is Meaning.VERIFIED:
            return execution.apply_verify(batch, recipe, step_id=step_id, actor=action.actor, at=at)
        return execution.apply_correct(
            batch, recipe, step_id=step_id, actor=action.actor, record_id=payload.record_id(), at=at
        )

    def _note(self, action: SignedAction, progress: StepProgress) -> None:
        """Remember what the record means for the review and for segregation of duties. A
        verification is late after the values it verifies: the completion's, or a correction's."""
        payload = action.payload
        state = self._c.state
        entered_at = progress.corrected_at or progress.performed_at
        performed_at = entered_at if payload.meaning is Meaning.VERIFIED else None
        state.record_exceptions += review.record_exceptions(
            payload.to_record(), performed_at=performed_at
        )
        signer = payload.signer.user_id
        if (
            payload.meaning in (Meaning.PERFORMED, Meaning.VERIFIED)
            and signer not in state.executors
        ):
            state.executors.append(signer)
        self._c.changed()

    async def _open_for_values(self, payload: RecordPayload) -> None:
        """Values out of limits open a deviation; on a critical parameter it holds the batch."""
        if payload.meaning not in (Meaning.PERFORMED, Meaning.CORRECTED):
            return
        out = [v for v in payload.values if v.in_spec is False]
        if not out:
            return
        listed = ", ".join(f"{v.name} = {v.value}{' ' + v.unit if v.unit else ''}" for v in out)
        why = payload.comment or payload.reason or ""
        step_id = payload.subject.id
        await self._deviations.open(
            origin=Origin.OUT_OF_LIMIT,
            description=(
                f"out of limits at step {step_id!r}: {listed} "
                f"(recorded by {payload.signer.user_id}: {why})"
            ),
            actor=THE_RULES,
            step_id=step_id,
            execution=payload.execution,
            critical=any(v.critical for v in out),
        )

    def _steps_done_after(self, payload: RecordPayload) -> int:
        step = self._c.recipe.step(payload.subject.id)
        progress = self._c.batch.progress(payload.subject.id)
        assert step is not None and progress is not None
        done = self._c.batch.steps_done()
        verified = needs_verification(step)
        if payload.meaning is Meaning.PERFORMED:
            return done + (0 if verified else 1)
        if payload.meaning is Meaning.VERIFIED:
            return done + 1
        # A correction: a step that needs verification and was done awaits it again.
        return done - 1 if verified and progress.status is StepStatus.DONE else done
