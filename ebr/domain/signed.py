"""The content a person signs for a record: its canonical JSON is what the signature covers.

A signed record binds who (user id and printed name), when (server UTC), what (batch, recipe
hash, step, values with units, comment), why (the meaning, and the reason for a correction), from
where (the station) and the hash of the batch's previous record, so a signature cannot be moved to
another record or batch, and no record can be removed or reordered without breaking the chain.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ebr.domain.batch import Actor, BatchState
from ebr.domain.execution import check_complete, check_correct, check_verify
from ebr.domain.recipe import Recipe
from ebr.domain.records import Meaning, StepRecord
from ebr.domain.refusals import ChainMoved, ExecutionMoved, PayloadMismatch
from ebr.domain.values import RecordedValue

BATCH_SUBJECT = "@batch"
"""The ``step_id`` of a release or rejection: the whole batch. Recipe step ids never start
with ``@``, so a decision's subject cannot be mistaken for a step."""


def deviation_subject(deviation_id: str) -> str:
    """The ``step_id`` of a deviation's signed disposition."""
    return f"@deviation:{deviation_id}"


def hold_subject(hold_id: str) -> str:
    """The ``step_id`` of QA's signed lifting of a hold."""
    return f"@hold:{hold_id}"


def is_decision_subject(step_id: str) -> bool:
    return step_id.startswith("@")


def subject_ref(step_id: str) -> str:
    """The deviation or hold id a decision's subject names (the batch subject names none)."""
    return step_id.split(":", 1)[1] if ":" in step_id else ""


GENESIS = "0" * 64
"""The ``prev_hash`` of a batch's first record."""

PAYLOAD_FORMAT: Literal["ebr.record/1"] = "ebr.record/1"


class Signer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    user_id: str
    full_name: str


class RecordPayload(BaseModel):
    """Everything a record signature covers. The workflow records exactly this, or nothing."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal["ebr.record/1"] = PAYLOAD_FORMAT
    batch_id: str
    recipe_hash: str
    seq: int = Field(ge=1)
    prev_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    step_id: str
    execution: int = Field(ge=1)
    meaning: Meaning
    values: tuple[RecordedValue, ...] = ()
    comment: str | None = None
    reason: str | None = None
    corrects: str | None = None
    signer: Signer
    station: str
    signed_at: datetime
    # A decision's structured content (a disposition's decision and rework steps); absent from
    # step records, whose signed form stays exactly as it was before decisions existed.
    detail: dict[str, Any] | None = None

    @field_validator("signed_at")
    @classmethod
    def _utc(cls, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError("signed_at must carry its time zone")
        return moment.astimezone(UTC)

    def signable(self) -> dict[str, Any]:
        """The JSON value whose RFC 8785 form is signed; every field is spelled out."""
        return self.model_dump(mode="json", exclude={"detail"} if self.detail is None else None)

    @property
    def is_decision(self) -> bool:
        """A batch-level decision (release, rejection, disposition, hold lift), not a step record."""
        return is_decision_subject(self.step_id)

    def record_id(self) -> str:
        """Deterministic; a correction is told apart by its sequence number."""
        base = StepRecord.make_id(self.batch_id, self.step_id, self.execution, self.meaning)
        return f"{base}/{self.seq}" if self.meaning is Meaning.CORRECTED else base

    def to_record(self) -> StepRecord:
        return StepRecord(
            record_id=self.record_id(),
            batch_id=self.batch_id,
            seq=self.seq,
            step_id=self.step_id,
            execution=self.execution,
            meaning=self.meaning,
            values=self.values,
            comment=self.comment,
            user_id=self.signer.user_id,
            user_name=self.signer.full_name,
            station=self.station,
            recorded_at=self.signed_at,
        )


def check_signed_action(
    state: BatchState,
    recipe: Recipe,
    *,
    actor: Actor,
    payload: RecordPayload,
    entered: dict[str, Any],
    last_seq: int,
    busy: frozenset[str] = frozenset(),
) -> None:
    """Check that a signed payload is one this batch may record now, exactly as signed.

    The rules of the action (order, role, verifier, values, reason) come first, so a refusal
    names what is wrong with the action; then that the signed content is what the request and
    the recipe make of it; last, that it was signed on the batch's current chain head (a
    ``ChainMoved`` refusal asks the caller to sign again on the new head).
    """
    if payload.is_decision or payload.detail is not None:
        raise PayloadMismatch("a decision is recorded by the decide update, not as a step record")
    _check_frame(state, actor=actor, payload=payload)
    expected = _values_for(state, recipe, actor=actor, payload=payload, entered=entered, busy=busy)
    if payload.values != expected:
        raise PayloadMismatch("the signed values are not the values entered for this step")
    progress = state.progress(payload.step_id)
    assert progress is not None  # the rules above found the step
    if payload.execution != progress.execution:
        raise ExecutionMoved(
            f"step {payload.step_id!r} is in execution {progress.execution}; sign again",
            {"step_id": payload.step_id, "execution": progress.execution},
        )
    check_chain(state, payload, last_seq=last_seq)


def check_chain(state: BatchState, payload: RecordPayload, *, last_seq: int) -> None:
    """The record was signed on the batch's current chain head, or ``ChainMoved`` says where the
    head is now, so the caller can sign again on it."""
    if payload.seq != last_seq + 1 or payload.prev_hash != state.chain_head:
        raise ChainMoved(
            "the batch recorded something else meanwhile; sign again",
            {"seq": last_seq + 1, "prev_hash": state.chain_head},
        )


def check_signed_decision(state: BatchState, *, actor: Actor, payload: RecordPayload) -> None:
    """The framing every signed decision shares: this batch and recipe version, the person
    signing, the first execution. What the decision itself needs is checked by its own rules."""
    if not payload.is_decision:
        raise PayloadMismatch("a step record is recorded by the sign update, not as a decision")
    _check_frame(state, actor=actor, payload=payload)
    if payload.execution != 1 or payload.values or payload.corrects is not None:
        raise PayloadMismatch("a decision carries no values, correction or execution")


def _values_for(
    state: BatchState,
    recipe: Recipe,
    *,
    actor: Actor,
    payload: RecordPayload,
    entered: dict[str, Any],
    busy: frozenset[str],
) -> tuple[RecordedValue, ...]:
    step_id = payload.step_id
    if payload.meaning is Meaning.PERFORMED:
        _no_correction_fields(payload)
        return check_complete(
            state, recipe, step_id=step_id, actor=actor, values=entered, busy=busy
        )
    if payload.meaning is Meaning.VERIFIED:
        _no_correction_fields(payload)
        check_verify(state, recipe, step_id=step_id, actor=actor, busy=busy)
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
        original = StepRecord.make_id(
            state.header.batch_id, step_id, progress.execution, Meaning.PERFORMED
        )
        if payload.corrects != original:
            raise PayloadMismatch(f"a correction of step {step_id!r} must point at {original}")
        return values
    raise PayloadMismatch(f"the meaning {payload.meaning.value!r} does not apply to a step record")


def _no_correction_fields(payload: RecordPayload) -> None:
    if payload.corrects is not None or payload.reason is not None:
        raise PayloadMismatch("only a correction carries a reason and the record it corrects")


def _check_frame(state: BatchState, *, actor: Actor, payload: RecordPayload) -> None:
    header = state.header
    if (payload.batch_id, payload.recipe_hash) != (header.batch_id, header.recipe_hash):
        raise PayloadMismatch("the signature was made for another batch or recipe version")
    if (payload.signer.user_id, payload.signer.full_name, payload.station) != (
        actor.user_id,
        actor.full_name,
        actor.station,
    ):
        raise PayloadMismatch("the signed record names someone other than the person signing")
