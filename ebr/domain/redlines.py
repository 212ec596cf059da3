"""Redlines: a supervisor's signed proposal to change steps not yet started in one running batch,
and QA's signed approval or rejection of it.

A redline is a subject of the batch's chain (``redline``, id ``<batch>-RL<n>``) with up to two
signed records: the proposal (meaning ``proposed``, by a supervisor, with a reason, the changes as
its ``detail``) and QA's decision (``approved`` or ``rejected``, its ``detail`` naming the
content's hash; a rejection needs a reason). QA may not decide a redline they proposed. An
approved redline changes the recipe the batch runs from its next step on (``effective``); the
batch keeps its master's recipe hash, and each approval names the content it approved. Every
approved redline is an exception of the review by exception.

Each ``check_*`` function raises a Refusal and changes nothing; each ``apply_*`` returns the next
version of the frozen ``Redline``. ``redlines_of`` builds the same Redlines from the signed records,
so readers of the store see what the workflow decided on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from ebr.domain.batch import Actor, BatchState, BatchStatus, StepProgress
from ebr.domain.meanings import Meaning
from ebr.domain.recipe import Recipe
from ebr.domain.redline_changes import (
    RedlineContent,
    apply_redline,
    check_unstarted,
    effective_recipe,
)
from ebr.domain.refusals import (
    ApproverIsProposer,
    BatchNotActive,
    PayloadMismatch,
    ReasonRequired,
    RedlineState,
    RoleNotAllowed,
    UnknownRedline,
)
from ebr.domain.roles import Role
from ebr.domain.signed_records import SignedRecord
from ebr.domain.subjects import SubjectKind

__all__ = [
    "DecisionDetail",
    "Redline",
    "RedlineStatus",
    "align_steps",
    "apply_decision",
    "apply_proposal",
    "check_applicable",
    "check_decision",
    "check_proposal",
    "effective",
    "find_redline",
    "redline_id",
    "redlines_of",
]

PROPOSING_ROLES: frozenset[Role] = frozenset({Role.SUPERVISOR})
DECIDING_ROLES: frozenset[Role] = frozenset({Role.QA})
OPEN: frozenset[BatchStatus] = frozenset({BatchStatus.IN_PROGRESS, BatchStatus.ON_HOLD})
"""The statuses in which a batch has steps not yet started that a redline may change."""


class RedlineStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return {"proposed": "Awaiting QA"}.get(self.value, self.value.capitalize())


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DecisionDetail(_Frozen):
    """The structured part of QA's signed approval or rejection: the content it decides."""

    content_hash: str

    @classmethod
    def of(cls, detail: dict[str, Any] | None) -> DecisionDetail:
        try:
            return cls.model_validate(detail or {})
        except ValidationError:
            raise PayloadMismatch(
                "a redline's approval or rejection names the hash of its content, and only it",
                {"field": "detail.content_hash"},
            ) from None

    def detail(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class Redline(_Frozen):
    """One redline of one batch: the changes, who proposed them and why, and QA's decision.
    ``decided_seq`` is the decision's place in the batch's chain: approved redlines apply in
    that order."""

    redline_id: str
    content: RedlineContent
    content_hash: str
    reason: str
    proposed_by: str
    proposed_by_name: str
    proposed_at: datetime
    status: RedlineStatus = RedlineStatus.PROPOSED
    decided_by: str | None = None
    decided_by_name: str | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None
    decided_seq: int | None = None

    @property
    def approved(self) -> bool:
        return self.status is RedlineStatus.APPROVED


def redline_id(batch_id: str, number: int) -> str:
    """The id of a batch's ``number``-th redline (from 1)."""
    return f"{batch_id}-RL{number}"


def find_redline(redlines: Sequence[Redline], rid: str) -> Redline:
    found = next((r for r in redlines if r.redline_id == rid), None)
    if found is None:
        raise UnknownRedline(f"the batch has no redline {rid!r}", {"redline_id": rid})
    return found


def check_applicable(state: BatchState, recipe: Recipe, content: RedlineContent) -> Recipe:
    """The batch takes a redline now, and ``content`` applies to ``recipe`` (the one it runs)
    touching no step that has started; return the recipe it would make.

    Raises:
        BatchNotActive: the batch is awaiting review or decided (no step is left unstarted).
        RedlineInvalid: the changes do not make a valid recipe.
        RedlineStepStarted: a change touches a step that has started or is done.
    """
    if state.status not in OPEN:
        raise BatchNotActive(
            f"batch {state.header.batch_id} is {state.status.value.replace('_', ' ')}: a "
            "redline changes steps not yet started, and it has none",
            {"status": state.status.value},
        )
    after = apply_redline(recipe, content)
    check_unstarted(state, after, content)
    return after


def check_proposal(
    state: BatchState, recipe: Recipe, *, actor: Actor, content: RedlineContent, reason: str | None
) -> Recipe:
    """A supervisor proposes ``content`` with a reason, for steps not yet started; return the
    recipe it would make."""
    if not PROPOSING_ROLES & set(actor.roles):
        raise RoleNotAllowed(
            "only a supervisor proposes a redline", {"allowed_roles": ["supervisor"]}
        )
    if not (reason or "").strip():
        raise ReasonRequired("a redline needs a reason", {"field": "reason"})
    return check_applicable(state, recipe, content)


def apply_proposal(
    *, rid: str, content: RedlineContent, actor: Actor, reason: str, at: datetime
) -> Redline:
    return Redline(
        redline_id=rid,
        content=content,
        content_hash=content.content_hash(),
        reason=reason,
        proposed_by=actor.user_id,
        proposed_by_name=actor.full_name,
        proposed_at=at,
    )


def check_decision(
    redline: Redline,
    *,
    actor: Actor,
    meaning: Meaning,
    reason: str | None,
    content_hash: str,
) -> None:
    """QA approves or rejects a proposed redline, once, naming its content; never their own;
    a rejection with a reason. (An approval is then checked to apply: ``check_applicable``.)"""
    if meaning not in (Meaning.APPROVED, Meaning.REJECTED):
        raise PayloadMismatch("a redline is decided with the meaning approved or rejected")
    if not DECIDING_ROLES & set(actor.roles):
        raise RoleNotAllowed("only QA approves or rejects a redline", {"allowed_roles": ["qa"]})
    if redline.status is not RedlineStatus.PROPOSED:
        raise RedlineState(
            f"redline {redline.redline_id} was already {redline.status.value} by "
            f"{redline.decided_by}",
            {"redline_id": redline.redline_id, "status": redline.status.value},
        )
    if actor.user_id == redline.proposed_by:
        raise ApproverIsProposer(
            f"redline {redline.redline_id} was proposed by {actor.user_id}; another person, "
            "from QA, must approve or reject it",
            {"redline_id": redline.redline_id},
        )
    if content_hash != redline.content_hash:
        raise PayloadMismatch(
            f"the decision names other content than redline {redline.redline_id}'s",
            {"content_hash": redline.content_hash},
        )
    if meaning is Meaning.REJECTED and not (reason or "").strip():
        raise ReasonRequired("rejecting a redline needs a reason", {"field": "reason"})


def apply_decision(
    redline: Redline,
    *,
    actor: Actor,
    meaning: Meaning,
    reason: str | None,
    at: datetime,
    seq: int,
) -> Redline:
    status = RedlineStatus.APPROVED if meaning is Meaning.APPROVED else RedlineStatus.REJECTED
    return redline.model_copy(
        update={
            "status": status,
            "decided_by": actor.user_id,
            "decided_by_name": actor.full_name,
            "decided_at": at,
            "decision_reason": (reason or "").strip() or None,
            "decided_seq": seq,
        }
    )


def effective(master: Recipe, redlines: Iterable[Redline]) -> Recipe:
    """The recipe a batch runs: its master and its approved redlines, in the order approved."""
    approved = sorted((r for r in redlines if r.approved), key=lambda r: r.decided_seq or 0)
    return effective_recipe(master, (r.content for r in approved))


def align_steps(state: BatchState, recipe: Recipe) -> None:
    """Give the batch's progress the steps of ``recipe``, in its order: a step a redline added
    is pending; every other step keeps its progress."""
    known = {p.step_id: p for p in state.steps}
    state.steps = [known.get(s.id) or StepProgress(step_id=s.id) for s in recipe.steps()]


def redlines_of(records: Iterable[SignedRecord]) -> list[Redline]:
    """A batch's redlines as its signed records (in chain order) say, in the order proposed.
    A decision without its proposal is left out: ``ebr verify`` names such a record."""
    found: dict[str, Redline] = {}
    for r in records:
        if r.subject.kind is not SubjectKind.REDLINE:
            continue
        if r.meaning is Meaning.PROPOSED:
            content = RedlineContent.model_validate(r.detail or {})
            found[r.subject.id] = Redline(
                redline_id=r.subject.id,
                content=content,
                content_hash=content.content_hash(),
                reason=(r.reason or "").strip(),
                proposed_by=r.user_id,
                proposed_by_name=r.user_name,
                proposed_at=r.recorded_at,
            )
        elif r.subject.id in found:
            actor = Actor(user_id=r.user_id, full_name=r.user_name, roles=())
            found[r.subject.id] = apply_decision(
                found[r.subject.id],
                actor=actor,
                meaning=r.meaning,
                reason=r.reason,
                at=r.recorded_at,
                seq=r.seq,
            )
    return list(found.values())
