"""Signed records: the content a person signs, and the record it becomes.

A signed record binds who (user id and printed name), when (server UTC), what (its typed subject,
values with units, comment), why (the meaning, and the reason where one is asked), from where (the
station), and where it stands in its hash chain (``chain``, ``seq``, ``prev_hash``): a signature
cannot be moved to another record or subject, and no record can be removed or reordered without
breaking its chain. Records about a batch also bind the hash of the batch's recipe version.

The signed form is ``ebr.record/2``: the payload's RFC 8785 canonical JSON, every field spelled
out. (``ebr.record/1``, which named a batch step by a string and decisions by ``@`` prefixes,
was never released and is not read.)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ebr.domain.meanings import Meaning
from ebr.domain.subjects import Chain, ChainKind, Subject, SubjectKind
from ebr.domain.values import RecordedValue

__all__ = [
    "GENESIS",
    "Manifestation",
    "PAYLOAD_FORMAT",
    "RecordPayload",
    "SignedRecord",
    "Signer",
    "step_record_id",
]

GENESIS = "0" * 64
"""The ``prev_hash`` of a chain's first record."""

PAYLOAD_FORMAT: Literal["ebr.record/2"] = "ebr.record/2"

TEXT_LIMIT = 4000


def step_record_id(batch_id: str, step_id: str, execution: int, meaning: Meaning) -> str:
    """The id of a step record: deterministic, so a retried or replayed write is no duplicate.
    (A correction adds its sequence number: a step may be corrected more than once; so does the
    verification of corrected values, which may follow a first verification.)"""
    return f"{batch_id}/{step_id}/{execution}/{meaning.value}"


class Signer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    user_id: str
    full_name: str


class RecordPayload(BaseModel):
    """Everything a record signature covers. A workflow records exactly this, or nothing."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal["ebr.record/2"] = PAYLOAD_FORMAT
    chain: Chain
    seq: int = Field(ge=1, le=2**53)
    prev_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    subject: Subject
    # A batch step's execution (a rework opens the step again as the next one); 1 otherwise.
    execution: int = Field(default=1, ge=1, le=10_000)
    meaning: Meaning
    values: tuple[RecordedValue, ...] = ()
    comment: str | None = Field(default=None, max_length=TEXT_LIMIT)
    reason: str | None = Field(default=None, max_length=TEXT_LIMIT)
    corrects: str | None = None
    # The content hash of the recipe version: the batch's (records about a batch) or the one
    # signed for (records about a recipe version); absent elsewhere.
    recipe_hash: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    signer: Signer
    station: str
    signed_at: datetime
    # A decision's structured content (a disposition's decision and rework steps), or the
    # correction a verification verifies (``ebr.domain.step_verification.VerificationDetail``).
    detail: dict[str, Any] | None = None

    @field_validator("signed_at")
    @classmethod
    def _utc(cls, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError("signed_at must carry its time zone")
        return moment.astimezone(UTC)

    @model_validator(mode="after")
    def _subject_fits_chain(self) -> RecordPayload:
        kind = self.subject.kind
        if kind.chain_kind is not self.chain.kind:
            raise ValueError(f"a {kind.value} subject joins a {kind.chain_kind.value} chain")
        if self.chain.kind is ChainKind.BATCH and self.recipe_hash is None:
            raise ValueError("a record about a batch binds the batch's recipe_hash")
        if kind is SubjectKind.BATCH and self.subject.id != self.chain.id:
            raise ValueError("a batch's decision is about the batch whose chain it joins")
        if kind is not SubjectKind.BATCH_STEP and self.execution != 1:
            raise ValueError("only a batch step has executions beyond the first")
        return self

    def signable(self) -> dict[str, Any]:
        """The JSON value whose RFC 8785 form is signed; every field is spelled out."""
        return self.model_dump(mode="json")

    @property
    def batch_id(self) -> str | None:
        """The batch this record is about, if it is about one."""
        return self.chain.id if self.chain.kind is ChainKind.BATCH else None

    @property
    def step_id(self) -> str | None:
        """The recipe step this record is about, if it is a step record."""
        return self.subject.id if self.subject.kind is SubjectKind.BATCH_STEP else None

    def record_id(self) -> str:
        """Deterministic, and unique in the store: a step record's id names its batch, step,
        execution and meaning (a correction, and a verification of corrected values, which
        names the correction in its ``detail``, add their sequence number); a decision in a
        batch's chain names its subject and meaning, so no subject is decided twice in one
        meaning; a record of another chain is named by its place in that chain."""
        if self.subject.kind is SubjectKind.BATCH_STEP:
            base = step_record_id(self.chain.id, self.subject.id, self.execution, self.meaning)
            numbered = self.meaning is Meaning.CORRECTED or (
                self.meaning is Meaning.VERIFIED and self.detail is not None
            )
            return f"{base}/{self.seq}" if numbered else base
        if self.chain.kind is ChainKind.BATCH:
            return f"{self.chain.id}/{self.subject.kind.value}:{self.subject.id}/{self.meaning}"
        return f"{self.chain.kind.value}:{self.chain.id}/{self.seq}"

    def to_record(self) -> SignedRecord:
        return SignedRecord(
            record_id=self.record_id(),
            chain=self.chain,
            seq=self.seq,
            subject=self.subject,
            execution=self.execution,
            meaning=self.meaning,
            values=self.values,
            comment=self.comment,
            reason=self.reason,
            corrects=self.corrects,
            detail=self.detail,
            recipe_hash=self.recipe_hash,
            user_id=self.signer.user_id,
            user_name=self.signer.full_name,
            station=self.station,
            recorded_at=self.signed_at,
        )


class Manifestation(BaseModel):
    """Who signed, when (UTC), meaning what, from where: shown wherever a record is shown, on
    pages and in reports (21 CFR 11.50)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    full_name: str
    user_id: str
    at: datetime
    meaning: Meaning
    station: str


class SignedRecord(BaseModel):
    """One immutable entry of a chain, as it is read: ``record_id`` doubles as its idempotency
    key. Its signature and payload are kept beside it in the store (``SignedEvidence``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    record_id: str
    chain: Chain
    seq: int
    subject: Subject
    execution: int = 1
    meaning: Meaning
    values: tuple[RecordedValue, ...] = ()
    comment: str | None = None
    reason: str | None = None
    corrects: str | None = None
    detail: dict[str, Any] | None = None
    recipe_hash: str | None = None
    user_id: str
    user_name: str
    station: str
    recorded_at: datetime

    @property
    def batch_id(self) -> str | None:
        return self.chain.id if self.chain.kind is ChainKind.BATCH else None

    @property
    def manifestation(self) -> Manifestation:
        return Manifestation(
            full_name=self.user_name,
            user_id=self.user_id,
            at=self.recorded_at,
            meaning=self.meaning,
            station=self.station,
        )

    @property
    def step_id(self) -> str | None:
        """The recipe step of a step record; None for a decision."""
        return self.subject.id if self.subject.kind is SubjectKind.BATCH_STEP else None

    @property
    def is_decision(self) -> bool:
        return self.subject.kind.is_decision
