"""Deviations (nonconformances): opened, investigated, classified and dispositioned, in that order.

A deviation is a frozen record; each ``apply_*`` returns the next version of it. Stages: ``open``
(anyone, or the rules), ``investigated`` (a supervisor: root cause, impact, affected steps),
``classified`` (QA's signed classification: minor, major or critical, with a reason) and
``closed`` (QA's signed disposition: accept, rework or reject). ``holds_batch`` and
``blocks_release`` say what an unclosed deviation does to the batch. QA's two signed decisions,
and the class the rules give a deviation, are in ``ebr.domain.deviation_decisions``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from ebr.domain.batch import Actor, BatchState, StepProgress
from ebr.domain.deviation_decisions import (
    Classification,
    Decision,
    Disposition,
    below_rules,
    rules_class,
)
from ebr.domain.recipe import Recipe
from ebr.domain.refusals import (
    DeviationStateError,
    ReasonRequired,
    ReworkInvalid,
    RoleNotAllowed,
    UnknownDeviation,
)
from ebr.domain.roles import Role, check_takes_part
from ebr.domain.status import (
    BatchEvent,
    apply_reopen,
    check_known_steps,
    check_reopen,
    check_transition,
)


class Origin(StrEnum):
    """What opened a deviation; ``label`` says it in words."""

    OUT_OF_LIMIT = "out_of_limit"
    TIMER = "timer"
    MANUAL = "manual"

    @property
    def label(self) -> str:
        return {"out_of_limit": "value out of limits", "timer": "time limit passed"}.get(
            self.value, "reported by hand"
        )


class Stage(StrEnum):
    OPEN = "open"
    INVESTIGATED = "investigated"
    CLASSIFIED = "classified"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Investigation(_Frozen):
    root_cause: str
    impact: str
    affected_steps: tuple[str, ...] = ()
    by: str
    at: datetime


class Deviation(_Frozen):
    """A deviation; building one (after ``check_new_deviation`` for a manual one) is opening it.

    ``critical`` marks a deviation opened for a critical parameter: it holds until classified.
    """

    id: str
    batch_id: str
    opened_at: datetime
    opened_by: str
    origin: Origin
    description: str
    step_id: str | None = None
    execution: int | None = None
    critical: bool = False
    stage: Stage = Stage.OPEN
    investigation: Investigation | None = None
    classification: Classification | None = None
    classified_by: str | None = None
    classified_at: datetime | None = None
    classification_reason: str | None = None
    disposition: Disposition | None = None
    capa_ref: str | None = None

    @property
    def rules_class(self) -> Classification | None:
        """The class the rules gave it (``deviation_decisions.rules_class``)."""
        return rules_class(critical=self.critical)

    @property
    def below_rules(self) -> bool:
        """QA classified it lower than the rules' class: an exception of the review."""
        return below_rules(self.classification, self.rules_class)


def holds_batch(dev: Deviation) -> bool:
    """Major and critical deviations, and unclassified ones on a critical parameter, hold the batch."""
    if dev.stage is Stage.CLOSED:
        return False
    if dev.classification is None:
        return dev.critical
    return dev.classification.holds_batch


def blocks_release(dev: Deviation) -> bool:
    """Every deviation not closed blocks release, a minor one included."""
    return dev.stage is not Stage.CLOSED


def deviation_id(batch_id: str, number: int) -> str:
    """Deterministic, so a replayed workflow numbers its deviations the same way."""
    return f"{batch_id}-DEV-{number:03d}"


def check_new_deviation(
    recipe: Recipe, *, actor: Actor, description: str | None, step_id: str | None = None
) -> None:
    """Anyone but an administrator opens a deviation by hand, describing it (any step named)."""
    check_takes_part(actor.roles, "open a deviation")
    if not (description or "").strip():
        raise ReasonRequired("a deviation needs a description", {"field": "description"})
    if step_id is not None:
        check_known_steps(recipe, [step_id])


def check_investigate(
    dev: Deviation, recipe: Recipe, *, actor: Actor, found: Investigation
) -> None:
    """A supervisor investigates an open deviation: root cause and impact, affected steps known."""
    _require(actor, Role.SUPERVISOR, dev, "investigate")
    _require_stage(dev, Stage.OPEN, "investigated")
    for field in ("root_cause", "impact"):
        if not str(getattr(found, field)).strip():
            raise ReasonRequired(
                f"an investigation needs its {field.replace('_', ' ')}", {"field": field}
            )
    check_known_steps(recipe, found.affected_steps)


def apply_investigate(dev: Deviation, found: Investigation) -> Deviation:
    return dev.model_copy(update={"investigation": found, "stage": Stage.INVESTIGATED})


def check_classify(
    dev: Deviation, *, actor: Actor, classification: Classification, reason: str | None
) -> None:
    """QA classifies an investigated deviation, with a reason; one below the class the rules gave
    it says so in the refusal of a missing reason."""
    _require(actor, Role.QA, dev, "classify")
    _require_stage(dev, Stage.INVESTIGATED, "classified")
    if not (reason or "").strip():
        rules = dev.rules_class
        below = (
            f": {classification.value} is below the class the rules gave it ({rules.value})"
            if below_rules(classification, rules) and rules is not None
            else ""
        )
        raise ReasonRequired(
            f"classifying deviation {dev.id} needs a reason{below}",
            {"field": "reason", "rules_class": rules.value if rules else None},
        )


def apply_classify(
    dev: Deviation, *, actor: Actor, classification: Classification, reason: str, at: datetime
) -> Deviation:
    update = {"classification": classification, "classified_by": actor.user_id, "classified_at": at}
    update |= {"classification_reason": reason.strip(), "stage": Stage.CLASSIFIED}
    return dev.model_copy(update=update)


def check_disposition(
    dev: Deviation, state: BatchState, recipe: Recipe, *, actor: Actor, ruling: Disposition
) -> None:
    """QA closes a classified deviation, with a reason. A rework names steps already done or
    awaiting verification; a rework or reject needs a batch not released, rejected or cancelled.
    """
    _require(actor, Role.QA, dev, "disposition")
    _require_stage(dev, Stage.CLASSIFIED, "dispositioned")
    if not ruling.reason.strip():
        raise ReasonRequired("a disposition needs a reason", {"field": "reason"})
    steps = ruling.rework_steps
    if not ruling.decision.names_steps:
        if steps:
            raise ReworkInvalid(
                f"only a rework names steps, not {ruling.decision.value!r}",
                {"field": "rework_steps"},
            )
        if ruling.decision is Decision.REJECT:
            check_transition(state.status, BatchEvent.REJECT)
        return
    check_reopen(state, recipe, steps)


def apply_disposition(dev: Deviation, ruling: Disposition) -> Deviation:
    return dev.model_copy(update={"disposition": ruling, "stage": Stage.CLOSED})


def apply_outcome(state: BatchState, dev: Deviation) -> list[StepProgress]:
    """What a closed deviation does to the batch: a reject ends it rejected; a rework reopens its
    steps (``status.apply_reopen``); an accept changes nothing. Returns the steps reopened.
    """
    ruling = dev.disposition
    if ruling is not None and ruling.decision is Decision.REJECT:
        state.status = check_transition(state.status, BatchEvent.REJECT)
    if ruling is None or ruling.decision is not Decision.REWORK:
        return []
    return apply_reopen(state, ruling.rework_steps)


def check_capa(dev: Deviation, *, actor: Actor, capa_ref: str | None) -> None:
    """A supervisor or QA attaches a CAPA reference, at any stage."""
    if not {Role.SUPERVISOR, Role.QA} & set(actor.roles):
        raise RoleNotAllowed(
            "only a supervisor or QA may attach a CAPA",
            {"deviation_id": dev.id, "allowed_roles": ["qa", "supervisor"]},
        )
    if not (capa_ref or "").strip():
        raise ReasonRequired("a CAPA reference cannot be blank", {"field": "capa_ref"})


def apply_capa(dev: Deviation, *, capa_ref: str) -> Deviation:
    return dev.model_copy(update={"capa_ref": capa_ref.strip()})


_STAGES = list(Stage)
_DECIDED = ("classification", "classified_by", "classified_at", "classification_reason")


def with_decisions(version: Deviation, decided: Deviation) -> Deviation:
    """``version`` (a change by the deviation's own workflow: its investigation, a CAPA) with the
    signed decisions the batch recorded in ``decided`` meanwhile (its classification, its
    disposition) and the stage they reached: a version made before a decision never undoes it."""
    update: dict[str, object] = {}
    if version.classification is None and decided.classification is not None:
        update |= {field: getattr(decided, field) for field in _DECIDED}
    if version.disposition is None and decided.disposition is not None:
        update["disposition"] = decided.disposition
    if _STAGES.index(decided.stage) > _STAGES.index(version.stage):
        update["stage"] = decided.stage
    update["capa_ref"] = version.capa_ref or decided.capa_ref
    update["investigation"] = version.investigation or decided.investigation
    return version.model_copy(update=update)


def find_deviation(devs: Sequence[Deviation], dev_id: str) -> Deviation:
    found = next((d for d in devs if d.id == dev_id), None)
    if found is None:
        raise UnknownDeviation(f"the batch has no deviation {dev_id!r}", {"deviation_id": dev_id})
    return found


def _require(actor: Actor, role: Role, dev: Deviation, action: str) -> None:
    if role not in actor.roles:
        raise RoleNotAllowed(
            f"only {'QA' if role is Role.QA else 'a ' + role.value} may {action} a deviation",
            {"deviation_id": dev.id, "required_role": role.value},
        )


def _require_stage(dev: Deviation, stage: Stage, becoming: str) -> None:
    if dev.stage is not stage:
        raise DeviationStateError(
            f"deviation {dev.id} is {dev.stage.value}, not {stage.value}: it cannot be {becoming}",
            {"deviation_id": dev.id, "stage": dev.stage.value, "expected": stage.value},
        )
