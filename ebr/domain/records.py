"""A step record: what one person did to one step of one batch, at one moment, with which values."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from ebr.domain.values import RecordedValue


class Meaning(StrEnum):
    """What a person's record or signature means (21 CFR 11.50(a)(3)): a fixed vocabulary."""

    PERFORMED = "performed"
    VERIFIED = "verified"
    REVIEWED = "reviewed"
    APPROVED = "approved"
    RELEASED = "released"
    REJECTED = "rejected"
    CORRECTED = "corrected"


class StepRecord(BaseModel):
    """One immutable entry in a batch's record. ``record_id`` doubles as the idempotency key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    record_id: str
    batch_id: str
    seq: int
    step_id: str
    execution: int
    meaning: Meaning
    values: tuple[RecordedValue, ...] = ()
    comment: str | None = None
    user_id: str
    user_name: str
    station: str
    recorded_at: datetime

    @staticmethod
    def make_id(batch_id: str, step_id: str, execution: int, meaning: Meaning) -> str:
        """Deterministic: a retried or replayed write produces the same id and so no duplicate."""
        return f"{batch_id}/{step_id}/{execution}/{meaning.value}"
