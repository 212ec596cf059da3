"""What the hold routes accept and return: a hold placed, QA's signed lift, the hold now."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel

from api.schemas import SignatureBody, Text
from ebr.domain.batch import BatchStatus
from ebr.domain.meanings import Meaning


class HoldPlacement(BaseModel):
    reason: Text


class HoldLift(BaseModel):
    """Lift ``hold_id``, or the batch's earliest active hold placed by a person: QA's signature
    (meaning ``approved``) with a reason."""

    meaning: ClassVar[Meaning] = Meaning.APPROVED

    reason: Text
    hold_id: str | None = None
    signature: SignatureBody


class HoldResult(BaseModel):
    hold_id: str
    reason: str
    placed_by: str
    placed_at: datetime
    lifted_by: str | None
    lifted_at: datetime | None
    lift_reason: str | None
    batch_status: BatchStatus
