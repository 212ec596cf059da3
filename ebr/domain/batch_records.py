"""What a batch may record as signed now: a signed payload checked against the batch's state.

The workflow calls these before it stores anything, so a refused payload writes nothing. Every
record of a batch's chain shares one frame (this batch and recipe version, the person signing, the
chain's head); a step record's content must then be exactly what the request and the recipe make
of it, and a decision's what its own rules allow (``workflows`` dispatches on the subject kind).
"""

from __future__ import annotations

from typing import Any

from ebr.domain.batch import Actor, BatchState
from ebr.domain.execution import check_complete, check_correct, check_verify
from ebr.domain.meanings import Meaning
from ebr.domain.recipe import Recipe
from ebr.domain.refusals import ChainMoved, ExecutionMoved, PayloadMismatch, VerifiesOtherValues
from ebr.domain.signed_records import RecordPayload, step_record_id
from ebr.domain.step_verification import VerificationDetail
from ebr.domain.subjects import SubjectKind, batch_chain
from ebr.domain.values import RecordedValue

__all__ = ["check_chain", "check_frame", "check_signed_decision", "check_signed_step"]


def check_frame(state: BatchState, *, actor: Actor, payload: RecordPayload) -> None:
    """The record joins this batch's chain, for its recipe version, signed by the person acting."""
    header = state.header
    if payload.chain != batch_chain(header.batch_id) or payload.recipe_hash != header.recipe_hash:
        raise PayloadMismatch("the signature was made for another batch or recipe version")
    if (payload.signer.user_id, payload.signer.full_name, payload.station) != (
        actor.user_id,
        actor.full_name,
        actor.station,
    ):
        raise PayloadMismatch("the signed record names someone other than the person signing")


def check_chain(state: BatchState, payload: RecordPayload, *, last_seq: int) -> None:
    """The record was signed on the batch's current chain head, or ``ChainMoved`` says where the
    head is now, so the caller can sign again on it."""
    if payload.seq != last_seq + 1 or payload.prev_hash != state.chain_head:
        raise ChainMoved(
            "the batch recorded something else meanwhile; sign again",
            {"seq": last_seq + 1, "prev_hash": state.chain_head},
        )


def check_signed_step(
    state: BatchState,
    recipe: Recipe,
    *,
    actor: Actor,
    payload: RecordPayload,
    entered: dict[str, Any],
    last_seq: int,
    busy: frozenset[str] = frozenset(),
) -> None:
    """Check that a signed step record is one this batch may record now, exactly as signed.

    The rules of the action (order, role, verifier, values, reason) come first, so a refusal
    names what is wrong with the action; then that the signed content is what the request and
    the recipe make of it; last, that it was signed on the batch's current chain head (a
    ``ChainMoved`` refusal asks the caller to sign again on the new head).
    """
    step_id = payload.step_id
    if step_id is None or (payload.detail is not None and payload.meaning is not Meaning.VERIFIED):
        raise PayloadMismatch("a step record names a step of the batch and carries no detail")
    check_frame(state, actor=actor, payload=payload)
    expected = _values_for(state, recipe, actor=actor, payload=payload, entered=entered, busy=busy)
    if payload.values != expected:
        raise PayloadMismatch("the signed values are not the values entered for this step")
    progress = state.progress(step_id)
    assert progress is not None  # the rules above found the step
    if payload.execution != progress.execution:
        raise ExecutionMoved(
            f"step {step_id!r} is in execution {progress.execution}; sign again",
            {"step_id": step_id, "execution": progress.execution},
        )
    check_chain(state, payload, last_seq=last_seq)


def check_signed_decision(state: BatchState, *, actor: Actor, payload: RecordPayload) -> None:
    """The framing every signed decision shares: this batch and recipe version, the person
    signing, no values or correction. What the decision itself needs is checked by its own rules."""
    if payload.subject.kind is SubjectKind.BATCH_STEP:
        raise PayloadMismatch("a step record is not a decision")
    check_frame(state, actor=actor, payload=payload)
    if payload.values or payload.corrects is not None:
        raise PayloadMismatch("a decision carries no values or correction")


def _values_for(
    state: BatchState,
    recipe: Recipe,
    *,
    actor: Actor,
    payload: RecordPayload,
    entered: dict[str, Any],
    busy: frozenset[str],
) -> tuple[RecordedValue, ...]:
    step_id = payload.subject.id
    if payload.meaning is Meaning.PERFORMED:
        _no_correction_fields(payload)
        return check_complete(
            state, recipe, step_id=step_id, actor=actor, values=entered, busy=busy
        )
    if payload.meaning is Meaning.VERIFIED:
        _no_correction_fields(payload)
        check_verify(state, recipe, step_id=step_id, actor=actor, busy=busy)
        _verifies_the_values(state, payload)
        return ()
    if payload.meaning is Meaning.CORRECTED:
        values = check_correct(
            state,
            recipe,
            step_id=step_id,
            actor=actor,
            values=entered,
            reason=payload.reason,
            busy=busy,
        )
        progress = state.progress(step_id)
        assert progress is not None
        original = step_record_id(
            state.header.batch_id, step_id, progress.execution, Meaning.PERFORMED
        )
        if payload.corrects != original:
            raise PayloadMismatch(f"a correction of step {step_id!r} must point at {original}")
        return values
    raise PayloadMismatch(f"the meaning {payload.meaning.value!r} does not apply to a step record")


def _verifies_the_values(state: BatchState, payload: RecordPayload) -> None:
    """A verification names the latest correction of the values it verifies, if they were
    corrected in this execution (``step_verification.VerificationDetail``); one signed on values
    corrected since is refused, so that nobody verifies values they did not see."""
    progress = state.progress(payload.subject.id)
    assert progress is not None  # check_verify found the step
    signed = VerificationDetail.of(payload.detail)
    named = signed.verifies if signed is not None else None
    if named == progress.corrected or payload.execution != progress.execution:
        return  # the execution is checked next, with its own refusal
    step_id = payload.subject.id
    if progress.corrected is None:
        raise PayloadMismatch(
            f"step {step_id!r} has no correction to verify in this execution", {"field": "detail"}
        )
    raise VerifiesOtherValues(
        f"step {step_id!r} was corrected ({progress.corrected}) after the values this "
        "verification was signed on: read them and verify again",
        {"step_id": step_id, "verifies": progress.corrected},
    )


def _no_correction_fields(payload: RecordPayload) -> None:
    if payload.corrects is not None or payload.reason is not None:
        raise PayloadMismatch("only a correction carries a reason and the record it corrects")
