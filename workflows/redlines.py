"""The batch workflow's redlines: a supervisor's signed proposal to change steps not yet started,
and QA's signed approval or rejection (``ebr.domain.redlines``). Owns the ``redlines`` slice of
the batch's state, and replaces the recipe the batch runs (``BatchContext.recipe``) when QA
approves one.

Both the proposal and the decision are checked against the batch as it is when they arrive: a
step may have started since the proposal, and then the approval is refused in words. An approved
redline applies from the next step on: a step it adds joins the batch's progress, pending, in its
place; the clock looks again at the deadlines, which now follow the new time limits. While a
redline is being stored no step record is taken (``Steps`` asks ``check_settled``), and an
approval is refused while a step record or another redline is being stored, so no step is checked
against one recipe and recorded under the other, and no approval is applied to a recipe other
than the one it was checked against.
"""

from __future__ import annotations

from typing import ClassVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from ebr.domain import redlines
    from ebr.domain.batch_records import check_chain, check_signed_decision
    from ebr.domain.meanings import Meaning
    from ebr.domain.redline_changes import RedlineContent, apply_redline
    from ebr.domain.redlines import DecisionDetail, Redline
    from ebr.domain.refusals import RedlineState, StepInProgress
    from ebr.domain.subjects import SubjectKind
    from workflows.batch_context import BatchContext, BatchProgress
    from workflows.messages import Recorded, SignedAction

__all__ = ["Redlines"]


class Redlines:
    """The signed rule for a redline's proposal, approval and rejection (subject ``redline``)."""

    signs: ClassVar[tuple[SubjectKind, ...]] = (SubjectKind.REDLINE,)
    """The subject kinds whose signed records this part checks and applies."""

    def __init__(self, context: BatchContext) -> None:
        self._c = context

    @property
    def _all(self) -> list[Redline]:
        return self._c.state.redlines

    def check_settled(self) -> None:
        """Refuse a step record while a redline is being recorded: an approval changes the
        steps the record would be checked against."""
        pending = next((s for s in self._c.busy if s.kind is SubjectKind.REDLINE), None)
        if pending is not None:
            raise StepInProgress(
                f"redline {pending.id} is being recorded; sign the step again",
                {"redline_id": pending.id},
            )

    # The signed rule.

    def check(self, action: SignedAction) -> None:
        payload, actor = action.payload, action.actor
        check_signed_decision(self._c.batch, actor=actor, payload=payload)
        self._c.require_undecided()
        if payload.meaning is Meaning.PROPOSED:
            self._check_proposal(action)
        else:
            redline = redlines.find_redline(self._all, payload.subject.id)
            redlines.check_decision(
                redline,
                actor=actor,
                meaning=payload.meaning,
                reason=payload.reason,
                content_hash=DecisionDetail.of(payload.detail).content_hash,
            )
            if payload.meaning is Meaning.APPROVED:
                self._check_approval(redline)
        check_chain(self._c.batch, payload, last_seq=self._c.state.last_seq)

    def _check_proposal(self, action: SignedAction) -> None:
        payload = action.payload
        rid = payload.subject.id
        expected = redlines.redline_id(self._c.batch_id, len(self._all) + 1)
        if rid != expected:
            taken = any(r.redline_id == rid for r in self._all)
            words = "was proposed already" if taken else "is not the batch's next redline"
            raise RedlineState(
                f"redline {rid} {words}: the next is {expected}",
                {"redline_id": rid, "next": expected},
            )
        redlines.check_proposal(
            self._c.batch,
            self._c.recipe,
            actor=action.actor,
            content=RedlineContent.of(payload.detail),
            reason=payload.reason,
        )

    def _check_approval(self, redline: Redline) -> None:
        """An approval is checked against the recipe it will change: nothing that changes what
        has started (a step record) or the recipe (another redline) may be in flight."""
        kinds = (SubjectKind.BATCH_STEP, SubjectKind.REDLINE)
        recording = next((s for s in self._c.busy if s.kind in kinds), None)
        if recording is not None:
            raise StepInProgress(
                f"{recording} is being recorded; sign the approval again",
                {"subject": str(recording)},
            )
        redlines.check_applicable(self._c.batch, self._c.recipe, redline.content)

    def leaves(self, action: SignedAction) -> BatchProgress:
        batch = self._c.batch
        total = None
        if action.payload.meaning is Meaning.APPROVED:
            redline = redlines.find_redline(self._all, action.payload.subject.id)
            total = sum(1 for _ in apply_redline(self._c.recipe, redline.content).steps())
        return BatchProgress(batch.status, batch.steps_done(), batch.completed_at, total)

    async def apply(self, action: SignedAction) -> Recorded:
        payload, actor = action.payload, action.actor
        reason = (payload.reason or "").strip()
        if payload.meaning is Meaning.PROPOSED:
            content = RedlineContent.of(payload.detail)
            redline = redlines.apply_proposal(
                rid=payload.subject.id,
                content=content,
                actor=actor,
                reason=reason,
                at=payload.signed_at,
            )
            self._all.append(redline)
            return self._c.recorded(action, redline=redline)
        proposed = redlines.find_redline(self._all, payload.subject.id)
        redline = redlines.apply_decision(
            proposed,
            actor=actor,
            meaning=payload.meaning,
            reason=reason,
            at=payload.signed_at,
            seq=payload.seq,
        )
        self._all[self._all.index(proposed)] = redline
        if redline.approved:
            self._c.recipe = apply_redline(self._c.recipe, redline.content)
            redlines.align_steps(self._c.batch, self._c.recipe)
            self._c.changed()  # the clock looks again: time limits may have changed
        return self._c.recorded(action, redline=redline)
