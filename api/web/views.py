"""What the pages show, read from the store through ``api.batch_views``, the audited batch
events (deviations, holds) and the redlines (``api.redline_views``): never written here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from api.batch_views import batch_detail, batch_summary
from api.redline_views import batch_redline_views
from api.schemas import BatchDetail, BatchSummary, RecordView, StepView
from api.web.redlines import RedlinePart, redline_parts
from ebr.domain.batch import BatchStatus, StepStatus
from ebr.domain.deviations import Deviation, Stage
from ebr.domain.execution import VERIFYING_ROLES
from ebr.domain.holds import Hold
from ebr.domain.meanings import Meaning
from ebr.domain.roles import Role
from ebr.domain.status import TERMINAL
from ebr.store.batch_events import load_batch_events
from ebr.store.batches import list_batches
from ebr.store.db import session_scope
from ebr.store.recipes import get_recipe_by_hash


@dataclass
class FormState:
    """A refused form, shown again beside its step with what was entered and why it was refused.

    The forms of the QA side leave ``step_id`` empty and name what they act on in ``target`` (a
    deviation, a hold, an exception, or the batch). Made as the form was entered, before it is
    sent; ``api.web.forms.refused`` adds the refusal (code, message, status, fields)."""

    step_id: str
    action: str
    code: str = ""
    message: str = ""
    status: int = 0
    field_errors: dict[str, str] = field(default_factory=dict)
    entered: dict[str, str] = field(default_factory=dict)
    comment: str = ""
    reason: str = ""
    signer_id: str = ""  # the user id typed in the signing block; the password is never kept
    target: str = ""


@dataclass(frozen=True)
class OperationGroup:
    name: str
    steps: list[StepView]


@dataclass(frozen=True)
class UnitGroup:
    name: str
    operations: list[OperationGroup]


@dataclass(frozen=True)
class BatchPage:
    batch: BatchDetail
    product_name: str
    groups: list[UnitGroup]
    current: StepView | None
    deviations: list[Deviation] = field(default_factory=list)
    holds: list[Hold] = field(default_factory=list)
    redlines: list[RedlinePart] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.batch.status is BatchStatus.IN_PROGRESS

    @property
    def decided(self) -> bool:
        """Released, rejected or cancelled: nothing more is recorded."""
        return self.batch.status in TERMINAL

    @property
    def active_holds(self) -> list[Hold]:
        return [h for h in self.holds if h.active]

    @property
    def open_deviations(self) -> list[Deviation]:
        return [d for d in self.deviations if d.stage is not Stage.CLOSED]

    def done_steps(self) -> list[StepView]:
        """The steps a rework may open again: done or awaiting verification."""
        return [
            s
            for s in self.batch.steps
            if s.status in (StepStatus.DONE, StepStatus.AWAITING_VERIFICATION)
        ]

    @property
    def out_of_spec(self) -> list[StepView]:
        """The steps with a recorded value outside its limits or not as expected."""
        return [
            s
            for s in self.batch.steps
            if any(v.in_spec is False for r in s.records for v in r.values)
        ]

    def number(self, step_id: str) -> int:
        """The step's position in the procedure, from 1."""
        return next(i for i, s in enumerate(self.batch.steps, 1) if s.step_id == step_id)

    def step_name(self, step_id: str) -> str:
        return next((s.name for s in self.batch.steps if s.step_id == step_id), step_id)

    @staticmethod
    def performer(step: StepView) -> str | None:
        """Who performed the step's latest execution (the one a verifier must not be)."""
        done = [r for r in step.records if r.meaning is Meaning.PERFORMED]
        return done[-1].manifestation.user_id if done else None

    @staticmethod
    def specs(step: StepView) -> dict[str, dict[str, Any]]:
        return specs_by_name(step)

    @staticmethod
    def superseded(step: StepView) -> dict[str, RecordView]:
        """Each record whose values a later correction replaced, with that correction."""
        replaced: dict[str, RecordView] = {}
        current: RecordView | None = None
        for record in step.records:
            if record.meaning is Meaning.CORRECTED and current is not None:
                replaced[current.record_id] = record
            if record.meaning in (Meaning.PERFORMED, Meaning.CORRECTED):
                current = record
        return replaced

    @staticmethod
    def values_now(step: StepView) -> dict[str, str]:
        """The step's values as they stand (after any correction), as a form would hold them."""
        latest = [r for r in step.records if r.meaning in (Meaning.PERFORMED, Meaning.CORRECTED)]
        if not latest:
            return {}
        shown: dict[str, str] = {}
        for value in latest[-1].values:
            if value.type == "check":
                shown[value.name] = "yes" if value.value else "no"
            else:
                shown[value.name] = value.entered or str(value.value or "")
        return shown

    def may_correct(self, step: StepView, user_id: str, roles: tuple[Role, ...]) -> bool:
        """Whether to offer the correction form: the step has values, the batch takes records, and
        the person performed it or is a supervisor or QA (the workflow decides again)."""
        if not (self.active and step.inputs and step.status is not StepStatus.PENDING):
            return False
        return self.performer(step) == user_id or bool(VERIFYING_ROLES & set(roles))

    @staticmethod
    def verifiers(step: StepView) -> list[str]:
        """The roles that may verify the step, as the workflow checks them."""
        return sorted({r.value for r in VERIFYING_ROLES | {step.role}})


def grouped(steps: list[StepView]) -> list[UnitGroup]:
    """Steps in order, grouped by unit procedure then operation (consecutive runs, as in the recipe)."""
    units: list[UnitGroup] = []
    for step in steps:
        if not units or units[-1].name != step.unit_procedure:
            units.append(UnitGroup(name=step.unit_procedure, operations=[]))
        operations = units[-1].operations
        if not operations or operations[-1].name != step.operation:
            operations.append(OperationGroup(name=step.operation, steps=[]))
        operations[-1].steps.append(step)
    return units


def batch_page(*, engine: Engine, batch_id: str) -> BatchPage:
    """The batch with its steps grouped; raises ``batch_not_found`` when there is no such batch."""
    with session_scope(engine) as session:
        detail = batch_detail(session=session, batch_id=batch_id)
        recipe = get_recipe_by_hash(session=session, content_hash=detail.recipe_hash)
        product_name = recipe.product_name if recipe else ""
        events = load_batch_events(session=session, batch_id=batch_id)
        redlines = batch_redline_views(session=session, batch_id=batch_id)
    current = None
    if detail.status is BatchStatus.IN_PROGRESS:
        current = next((s for s in detail.steps if s.status is not StepStatus.DONE), None)
    return BatchPage(
        batch=detail,
        product_name=product_name,
        groups=grouped(detail.steps),
        current=current,
        deviations=list(events.deviations),
        holds=list(events.holds),
        redlines=redline_parts(redlines),
    )


def batch_list(*, engine: Engine, status: BatchStatus | None) -> list[BatchSummary]:
    with session_scope(engine) as session:
        return [batch_summary(row) for row in list_batches(session=session, status=status)]


def specs_by_name(step: StepView) -> dict[str, dict[str, Any]]:
    return {str(spec["name"]): spec for spec in step.inputs}
