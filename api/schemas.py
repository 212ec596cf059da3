"""What the API accepts and returns: declared models, never raw table rows.

A signed request names the meaning it is signed with (``meaning``, a class constant, not a field):
the JSON routes check the signature's meaning against it, and the pages' forms sign with it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from ebr.domain.batch import BatchStatus, StepStatus
from ebr.domain.deviations import Classification, Decision, Deviation
from ebr.domain.holds import Hold
from ebr.domain.recipe import Quantity, Recipe
from ebr.domain.records import Meaning
from ebr.domain.review import ExceptionKind, ReviewException, ReviewMark
from ebr.domain.roles import Role
from ebr.domain.values import RecordedValue

BATCH_NUMBER = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


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


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    user: UserPublic
    password_change_required: bool = False


class RecipeUpload(BaseModel):
    source: str = Field(min_length=1, description="The recipe as YAML (or JSON) text")


class RecipeSummary(BaseModel):
    code: str
    version: int
    name: str
    product_code: str
    product_name: str
    content_hash: str
    step_count: int
    loaded_by: str
    loaded_at: datetime


class RecipeDetail(RecipeSummary):
    recipe: Recipe
    source: str


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


class Manifestation(BaseModel):
    """Who did it, when, and what it means: shown wherever a record is shown (21 CFR 11.50)."""

    full_name: str
    user_id: str
    at: datetime
    meaning: Meaning
    station: str


class SignatureView(BaseModel):
    """The cryptographic binding of a record: verify ``signature`` over ``payload`` (RFC 8785
    canonical JSON) with the certificate of ``key_id``; ``prev_hash`` links the batch's chain."""

    key_id: str
    signature: str
    record_hash: str
    prev_hash: str
    payload: str


class RecordView(BaseModel):
    record_id: str
    seq: int
    step_id: str
    execution: int
    meaning: Meaning
    values: list[RecordedValue]
    comment: str | None
    reason: str | None = None
    corrects: str | None = None
    manifestation: Manifestation
    signed: SignatureView | None = None


class StepView(BaseModel):
    step_id: str
    name: str
    kind: str
    role: Role
    verify: bool
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
    meaning: ClassVar[Meaning] = Meaning.PERFORMED

    values: dict[str, Any] = Field(default_factory=dict)
    comment: str | None = Field(default=None, max_length=4000)
    signature: SignatureBody


class StepVerification(BaseModel):
    meaning: ClassVar[Meaning] = Meaning.VERIFIED

    comment: str | None = Field(default=None, max_length=4000)
    signature: SignatureBody


class StepCorrection(BaseModel):
    """New values for a step already recorded; the original stays, and both are shown."""

    meaning: ClassVar[Meaning] = Meaning.CORRECTED

    values: dict[str, Any]
    reason: str = Field(min_length=1, max_length=4000)
    comment: str | None = Field(default=None, max_length=4000)
    signature: SignatureBody


class HoldPlacement(BaseModel):
    reason: str = Field(min_length=1, max_length=4000)


class HoldLift(BaseModel):
    """Lift ``hold_id``, or the batch's earliest active hold placed by a person: QA's signature
    (meaning ``approved``) with a reason."""

    meaning: ClassVar[Meaning] = Meaning.APPROVED

    reason: str = Field(min_length=1, max_length=4000)
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


class PasswordChange(BaseModel):
    old_password: str = Field(min_length=1, repr=False)
    new_password: str = Field(min_length=1, repr=False)


class Unlock(BaseModel):
    reason: str = Field(min_length=1, max_length=4000)


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


class DeviationOpening(BaseModel):
    """Anyone's report of a deviation: what happened, and the step it concerns if any."""

    description: str = Field(min_length=1, max_length=4000)
    step_id: str | None = None


class DeviationInvestigation(BaseModel):
    """A supervisor's investigation: root cause, impact, and the steps it affected."""

    root_cause: str = Field(min_length=1, max_length=4000)
    impact: str = Field(min_length=1, max_length=4000)
    affected_steps: list[str] = Field(default_factory=list)


class DeviationClassification(BaseModel):
    classification: Classification
    comment: str | None = Field(default=None, max_length=4000)


class CapaReference(BaseModel):
    capa_ref: str = Field(min_length=1, max_length=200)


class DeviationDisposition(BaseModel):
    """QA's signed disposition (meaning ``approved``): accept, rework the named steps, or reject."""

    meaning: ClassVar[Meaning] = Meaning.APPROVED

    decision: Decision
    reason: str = Field(min_length=1, max_length=4000)
    rework_steps: list[str] = Field(default_factory=list)
    capa_ref: str | None = Field(default=None, max_length=200)
    comment: str | None = Field(default=None, max_length=4000)
    signature: SignatureBody

    def detail(self) -> dict[str, Any]:
        """What the signed record carries beside the reason: the decision, the steps to rework
        and the CAPA reference."""
        return {
            "decision": self.decision.value,
            "rework_steps": list(self.rework_steps),
            "capa_ref": self.capa_ref,
        }


class BatchRelease(BaseModel):
    """QA's signed release (meaning ``released``)."""

    meaning: ClassVar[Meaning] = Meaning.RELEASED

    comment: str | None = Field(default=None, max_length=4000)
    signature: SignatureBody


class BatchRejection(BaseModel):
    """QA's signed rejection (meaning ``rejected``), with its reason."""

    meaning: ClassVar[Meaning] = Meaning.REJECTED

    reason: str = Field(min_length=1, max_length=4000)
    comment: str | None = Field(default=None, max_length=4000)
    signature: SignatureBody


class DecisionResult(BaseModel):
    """A signed decision as recorded, and what it changed."""

    record: RecordView
    batch_status: BatchStatus
    deviation: Deviation | None = None
    hold: Hold | None = None
    reopened: list[str] = Field(default_factory=list)


class ReviewMarking(BaseModel):
    comment: str | None = Field(default=None, max_length=4000)


class ReviewItem(BaseModel):
    """One exception of the batch's record, and whether (by whom, when) QA reviewed it."""

    id: str
    kind: ExceptionKind
    at: datetime
    summary: str
    step_id: str | None
    execution: int | None
    reviewed: bool
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    review_comment: str | None = None


class ReviewView(BaseModel):
    """Review by exception: only what QA must look at, and what still stands before release."""

    batch_id: str
    status: BatchStatus
    none: bool
    message: str
    exceptions: list[ReviewItem]
    unreviewed: int
    release_blocked: list[dict[str, Any]]


class ReviewMarkResult(BaseModel):
    mark: ReviewMark
    exception: ReviewException
    unreviewed: int
