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
from ebr.domain.errors import ChainMoved, PayloadMismatch
from ebr.domain.execution import check_complete, check_correct, check_verify
from ebr.domain.recipe import Recipe
from ebr.domain.records import Meaning, StepRecord
from ebr.domain.values import RecordedValue

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

    @field_validator("signed_at")
    @classmethod
    def _utc(cls, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError("signed_at must carry its time zone")
        return moment.astimezone(UTC)

    def signable(self) -> dict[str, Any]:
        """The JSON value whose RFC 8785 form is signed; every field is spelled out."""
        return self.model_dump(mode="json")

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
    header = state.header
    if (payload.batch_id, payload.recipe_hash) != (header.batch_id, header.recipe_hash):
        raise PayloadMismatch("the signature was made for another batch or recipe version")
    if (payload.signer.user_id, payload.signer.full_name, payload.station) != (
        actor.user_id,
        actor.full_name,
        actor.station,
    ):
        raise PayloadMismatch("the signed record names someone other than the person signing")
    expected = _values_for(state, recipe, actor=actor, payload=payload, entered=entered, busy=busy)
    if payload.values != expected:
        raise PayloadMismatch("the signed values are not the values entered for this step")
    progress = state.progress(payload.step_id)
    assert progress is not None  # the rules above found the step
    if payload.execution != progress.execution:
        raise PayloadMismatch(f"step {payload.step_id!r} is in execution {progress.execution}")
    if payload.seq != last_seq + 1 or payload.prev_hash != state.chain_head:
        raise ChainMoved(
            "the batch recorded something else meanwhile; sign again",
            {"seq": last_seq + 1, "prev_hash": state.chain_head},
        )


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
