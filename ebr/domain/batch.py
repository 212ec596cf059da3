"""A batch in execution: its status, each step's progress, and the people acting on it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from ebr.domain.recipe import Quantity, Recipe
from ebr.domain.roles import Role


class BatchStatus(StrEnum):
    """The batch's life; docs/batch-status.md draws every transition (``ebr.domain.status``)."""

    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    AWAITING_REVIEW = "awaiting_review"
    RELEASED = "released"
    REJECTED = "rejected"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        """The status in words, for pages and reports."""
        return self.value.replace("_", " ").capitalize()


class StepStatus(StrEnum):
    PENDING = "pending"
    AWAITING_VERIFICATION = "awaiting_verification"
    DONE = "done"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Actor(BaseModel):
    """The authenticated person acting, and the station (client) the action came from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user_id: str
    full_name: str
    roles: tuple[Role, ...]
    station: str = "unknown"


class StepProgress(BaseModel):
    """One step's progress in its current execution (a rework starts the next one afresh)."""

    step_id: str
    status: StepStatus = StepStatus.PENDING
    execution: int = 1
    performed_by: str | None = None
    performed_at: datetime | None = None
    verified_by: str | None = None
    verified_at: datetime | None = None
    # When the step first became done in this execution. A correction that calls for a new
    # verification leaves it: the clocks of the steps after it keep running (``timing``).
    done_at: datetime | None = None
    # The latest correction of this execution's values (its record id and time): a verification
    # verifies its values and names it (``ebr.domain.step_verification``).
    corrected: str | None = None
    corrected_at: datetime | None = None
    # Everyone who corrected this execution's values: none of them may verify it.
    corrected_by: list[str] = Field(default_factory=list)


class BatchHeader(BaseModel):
    """What identifies a batch and binds it to its recipe version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    batch_id: str
    batch_number: str
    recipe_code: str
    recipe_version: int
    recipe_hash: str
    product_code: str
    planned_quantity: Quantity
    created_by: str
    created_at: datetime


class BatchState(BaseModel):
    """What the workflow must carry to enforce the rules, and nothing the store holds better."""

    header: BatchHeader
    status: BatchStatus = BatchStatus.IN_PROGRESS
    steps: list[StepProgress] = Field(default_factory=list)
    completed_at: datetime | None = None
    # The hash of the batch's last signed record: the next record must name it as prev_hash.
    chain_head: str = "0" * 64

    @classmethod
    def start(cls, header: BatchHeader, recipe: Recipe) -> BatchState:
        return cls(header=header, steps=[StepProgress(step_id=s.id) for s in recipe.steps()])

    def progress(self, step_id: str) -> StepProgress | None:
        return next((p for p in self.steps if p.step_id == step_id), None)

    def current(self) -> StepProgress | None:
        """The first step that is not done: the only one that may be acted on."""
        return next((p for p in self.steps if p.status is not StepStatus.DONE), None)

    def all_done(self) -> bool:
        return all(p.status is StepStatus.DONE for p in self.steps)

    def steps_done(self) -> int:
        return sum(1 for p in self.steps if p.status is StepStatus.DONE)


def quantity(value: str | int | Decimal, unit: str) -> Quantity:
    return Quantity(value=Decimal(str(value)), unit=unit)
