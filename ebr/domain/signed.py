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
