"""What the API accepts and returns: declared models, never raw table rows.

Here the signature, accounts, recipes, batches, records and steps; holds, deviations and the
review have their own (``api.hold_schemas``, ``api.deviation_schemas``, ``api.review_schemas``).

A signed request names the meaning it is signed with (``meaning``, a class constant, not a field):
the JSON routes check the signature's meaning against it, and the pages' forms sign with it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, Field

from ebr.domain.batch import BatchStatus, StepStatus
from ebr.domain.meanings import Meaning
from ebr.domain.recipe import Quantity
from ebr.domain.roles import Role
from ebr.domain.signed_records import Manifestation
from ebr.domain.subjects import Subject
from ebr.domain.values import RecordedValue

BATCH_NUMBER = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
TEXT_LIMIT = 4000

# What a person writes into the record, bounded once for every request that takes it: a required
# text (a reason, a description, a root cause) and an optional comment. The pages' forms are read
# into the same models, so they refuse what the JSON routes refuse, in the same words.
Text = Annotated[str, Field(min_length=1, max_length=TEXT_LIMIT)]
Comment = Annotated[str | None, Field(max_length=TEXT_LIMIT)]


class SignatureBody(BaseModel):
    """The signing components (21 CFR 11.200): never in a URL, never stored, never logged."""

    meaning: Meaning
    password: str = Field(min_length=1, repr=False)
    user_id: str | None = Field(
        default=None, description="Needed for the first signature of a session"
    )


class ErrorBody(BaseModel):
    error: str
    message: str
    details: Any = None


class UserPublic(BaseModel):
    user_id: str
    full_name: str
    roles: list[Role]
    active: bool
    created_by: str | None = None
    # Who confirmed the holder's identity (a signature on the account's chain); None: the
    # account signs nothing yet.
    identity_confirmed_by: str | None = None


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    user: UserPublic
    password_change_required: bool = False


class BatchCreate(BaseModel):
    recipe_code: str
    recipe_version: int = Field(ge=1)
    batch_number: str = Field(pattern=BATCH_NUMBER)
    planned_quantity: Quantity


class BatchSummary(BaseModel):
    batch_id: str
    batch_number: str
    recipe_code: str
    recipe_version: int
    recipe_hash: str
    product_code: str
    planned_quantity: Quantity
    status: BatchStatus
    steps_total: int
    steps_done: int
    created_by: str
    created_at: datetime
    completed_at: datetime | None
    updated_at: datetime


class SignatureView(BaseModel):
    """The cryptographic binding of a record: verify ``signature`` over ``payload`` (RFC 8785
    canonical JSON) with the certificate of ``key_id``; ``prev_hash`` links the batch's chain."""

    key_id: str
    signature: str
    record_hash: str
    prev_hash: str
    payload: str


class RecordView(BaseModel):
    """One signed record. ``subject`` says what it is about (a step, the batch, a deviation, a
    hold); ``step_id`` is the step's id, or for a decision its label (``@batch``,
    ``@deviation:<id>``, ``@hold:<id>``)."""

    record_id: str
    seq: int
    subject: Subject
    step_id: str
    execution: int
    meaning: Meaning
    values: list[RecordedValue]
    comment: str | None
    reason: str | None = None
    corrects: str | None = None
    detail: dict[str, Any] | None = None
    manifestation: Manifestation
    signed: SignatureView | None = None


class StepView(BaseModel):
    step_id: str
    name: str
    kind: str
    role: Role
    # Whether a second person verifies the step (``step_verification.needs_verification``: the
    # recipe asks for it, or it records a critical input), and why, in words.
    verify: bool
    verify_reason: str | None = None
    unit_procedure: str
    operation: str
    instructions: str
    inputs: list[dict[str, Any]]
    status: StepStatus
    records: list[RecordView]


class BatchDetail(BatchSummary):
    next_step: str | None
    steps: list[StepView]


class StepCompletion(BaseModel):
    """A step performed: its values as entered, signed (meaning ``performed``)."""

    meaning: ClassVar[Meaning] = Meaning.PERFORMED

    values: dict[str, Any] = Field(default_factory=dict)
    comment: Comment = None
    signature: SignatureBody


class SignedWithComment(BaseModel):
    """A signed action that carries nothing but an optional comment (a verification, a release)."""

    comment: Comment = None
    signature: SignatureBody


class StepVerification(SignedWithComment):
    """A second person's verification of a step, signed (meaning ``verified``)."""

    meaning: ClassVar[Meaning] = Meaning.VERIFIED


class StepCorrection(BaseModel):
    """New values for a step already recorded; the original stays, and both are shown."""

    meaning: ClassVar[Meaning] = Meaning.CORRECTED

    values: dict[str, Any]
    reason: Text
    comment: Comment = None
    signature: SignatureBody


class PasswordChange(BaseModel):
    old_password: str = Field(min_length=1, repr=False)
    new_password: str = Field(min_length=1, repr=False)


class AuditEntryView(BaseModel):
    idx: int
    at: datetime
    actor: str
    station: str
    action: str
    entity: str
    entity_id: str
    batch_id: str | None
    old_value: Any
    new_value: Any
    reason: str | None
    leaf_hash: str


class StepResult(BaseModel):
    record: RecordView
    step_status: StepStatus
    batch_status: BatchStatus
    steps_done: int
    steps_total: int
