"""A master recipe version under change control (21 CFR 211.186, EU GMP Annex 11 §10).

A version is written by an author as a **draft**, submitted for review (the author's signature,
``authored``, over its content hash: ``in_review``), **reviewed** by a supervisor or QA (or sent
back to draft with comments, a signed ``rejected``), and **approved** by QA with the date and time
from which it is effective (``approved``). From that moment it is **effective**: only an effective
version starts batches. It is **superseded** when a later version of the same code becomes
effective, or **retired** by QA with a reason (``retired``). Author, reviewer and approver are
three different people, and a system administrator takes no part (segregation of duties).

Everything a version's state says comes from its signatures and the clock: ``RecipeVersion`` is
rebuilt from them, ``state_at`` tells the state at a moment. Each ``check_*`` refuses in words what
may not happen now; the signature itself (a record of the ``recipe-version`` subject, whose id is
``<code>/<version>``) is what makes it happen.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from ebr.domain.batch import Actor
from ebr.domain.meanings import Meaning
from ebr.domain.refusals import (
    ReasonRequired,
    RecipeNotEffective,
    RecipeStateError,
    RoleNotAllowed,
    SegregationOfDuties,
)
from ebr.domain.roles import Role
from ebr.domain.subjects import Chain, ChainKind, Subject, SubjectKind

__all__ = [
    "REVIEWING_ROLES",
    "RecipeSignature",
    "RecipeState",
    "RecipeVersion",
    "check_approve",
    "check_edit",
    "check_retire",
    "check_return",
    "check_review",
    "check_startable",
    "check_submit",
    "recipe_chain",
    "recipe_subject",
    "version_id",
]

REVIEWING_ROLES = frozenset({Role.SUPERVISOR, Role.QA})
PAST_TOLERANCE = timedelta(minutes=1)
"""An effective date this much before the approval is read as "now" (clocks and forms lag)."""


class RecipeState(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    EFFECTIVE = "effective"
    SUPERSEDED = "superseded"
    RETIRED = "retired"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def starts_batches(self) -> bool:
        return self is RecipeState.EFFECTIVE


def version_id(code: str, version: int) -> str:
    """A recipe version's subject and chain id: ``<code>/<version>``."""
    return f"{code}/{version}"


def recipe_subject(code: str, version: int) -> Subject:
    return Subject(kind=SubjectKind.RECIPE_VERSION, id=version_id(code, version))


def recipe_chain(code: str, version: int) -> Chain:
    return Chain(kind=ChainKind.RECIPE_VERSION, id=version_id(code, version))


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RecipeSignature(_Frozen):
    """One signature in a version's life: its meaning, who, when, why."""

    meaning: Meaning
    user_id: str
    full_name: str
    at: datetime
    content_hash: str
    reason: str | None = None


class RecipeVersion(_Frozen):
    """One version's life. ``content_hash`` is the current draft's while it is a draft, and the
    hash its author signed from submission on; ``signatures`` in the order they were made."""

    code: str
    version: int
    content_hash: str
    author: str
    signatures: tuple[RecipeSignature, ...] = ()
    effective_from: datetime | None = None
    superseded_at: datetime | None = None

    @property
    def submitted(self) -> RecipeSignature | None:
        return self._latest(Meaning.AUTHORED)

    @property
    def reviewed(self) -> RecipeSignature | None:
        """The review of the current submission, if it was reviewed."""
        return self._since_submission(Meaning.REVIEWED)

    @property
    def approved(self) -> RecipeSignature | None:
        return self._since_submission(Meaning.APPROVED)

    @property
    def retired(self) -> RecipeSignature | None:
        return self._latest(Meaning.RETIRED)

    def stored_state(self) -> RecipeState:
        """The state the signatures make, before the clock is asked (approved, not effective)."""
        if self.retired is not None:
            return RecipeState.RETIRED
        last = self.signatures[-1].meaning if self.signatures else None
        if last in (None, Meaning.REJECTED):
            return RecipeState.DRAFT
        if self.approved is not None:
            return RecipeState.APPROVED
        return RecipeState.IN_REVIEW

    def state_at(self, moment: datetime) -> RecipeState:
        state = self.stored_state()
        if state is not RecipeState.APPROVED:
            return state
        if self.superseded_at is not None and self.superseded_at <= moment:
            return RecipeState.SUPERSEDED
        if self.effective_from is not None and self.effective_from <= moment:
            return RecipeState.EFFECTIVE
        return RecipeState.APPROVED

    def with_signature(
        self, signature: RecipeSignature, *, effective_from: datetime | None = None
    ) -> RecipeVersion:
        update: dict[str, object] = {"signatures": (*self.signatures, signature)}
        if signature.meaning is Meaning.APPROVED:
            update["effective_from"] = effective_from or signature.at
        return self.model_copy(update=update)

    def _latest(self, meaning: Meaning) -> RecipeSignature | None:
        return next((s for s in reversed(self.signatures) if s.meaning is meaning), None)

    def _since_submission(self, meaning: Meaning) -> RecipeSignature | None:
        for signature in reversed(self.signatures):
            if signature.meaning is meaning:
                return signature
            if signature.meaning in (Meaning.AUTHORED, Meaning.REJECTED):
                return None
        return None


def check_edit(version: RecipeVersion | None, *, actor: Actor, code: str, number: int) -> None:
    """An author writes a draft: a new version, or one still (or again) a draft."""
    _require_author(actor, "write a recipe draft")
    if version is not None and version.stored_state() is not RecipeState.DRAFT:
        raise RecipeStateError(
            f"recipe {code} v{number} is {version.stored_state().label.lower()}: "
            "a new version is written as a draft of its own",
            {"code": code, "version": number, "state": version.stored_state().value},
        )


def check_submit(version: RecipeVersion, *, actor: Actor, problems: int) -> None:
    """The author signs the draft for review; a draft whose dry run finds errors is not sent."""
    _require_author(actor, "submit a recipe for review")
    _require_state(version, RecipeState.DRAFT, "submitted for review")
    if actor.user_id != version.author:
        raise SegregationOfDuties(
            f"recipe {version.code} v{version.version} is {version.author}'s draft: "
            "its author submits it",
            {"author": version.author},
        )
    if problems:
        raise RecipeStateError(
            f"the dry run of recipe {version.code} v{version.version} finds {problems} "
            "problem(s): correct the draft before it is reviewed",
            {"problems": problems},
        )


def check_review(version: RecipeVersion, *, actor: Actor) -> None:
    """A supervisor or QA other than the author reviews the version submitted."""
    _require_reviewer(actor, "review")
    _require_state(version, RecipeState.IN_REVIEW, "reviewed")
    _not_the_author(version, actor, "review")
    if version.reviewed is not None:
        raise RecipeStateError(
            f"recipe {version.code} v{version.version} was reviewed by "
            f"{version.reviewed.user_id} already",
            {"reviewed_by": version.reviewed.user_id},
        )


def check_return(version: RecipeVersion, *, actor: Actor, reason: str | None) -> None:
    """A reviewer (or the approver) sends the version back to draft, with comments."""
    _require_reviewer(actor, "send back")
    _require_state(version, RecipeState.IN_REVIEW, "sent back to draft")
    _not_the_author(version, actor, "send back")
    if not (reason or "").strip():
        raise ReasonRequired(
            "sending a recipe back to draft needs comments for its author", {"field": "reason"}
        )


def check_approve(
    version: RecipeVersion, *, actor: Actor, effective_from: datetime, now: datetime
) -> None:
    """QA, neither its author nor its reviewer, approves a reviewed version, effective from
    ``effective_from`` (now or later)."""
    _require_qa(actor, "approve")
    _require_state(version, RecipeState.IN_REVIEW, "approved")
    _not_the_author(version, actor, "approve")
    reviewed = version.reviewed
    if reviewed is None:
        raise RecipeStateError(
            f"recipe {version.code} v{version.version} is not reviewed yet: "
            "a supervisor or QA reviews it before QA approves it",
            {"state": RecipeState.IN_REVIEW.value},
        )
    if reviewed.user_id == actor.user_id:
        raise SegregationOfDuties(
            f"{actor.user_id} reviewed recipe {version.code} v{version.version}: "
            "a third person approves it",
            {"reviewed_by": reviewed.user_id},
        )
    if effective_from < now - PAST_TOLERANCE:
        raise RecipeStateError(
            "a recipe becomes effective now or later, not in the past",
            {"field": "effective_from", "effective_from": effective_from.isoformat()},
        )


def check_retire(
    version: RecipeVersion, *, actor: Actor, reason: str | None, now: datetime
) -> None:
    """QA retires an approved, effective or superseded version, with a reason."""
    _require_qa(actor, "retire")
    state = version.state_at(now)
    if state not in (RecipeState.APPROVED, RecipeState.EFFECTIVE, RecipeState.SUPERSEDED):
        raise RecipeStateError(
            f"recipe {version.code} v{version.version} is {state.label.lower()}: "
            "only an approved version is retired",
            {"state": state.value},
        )
    if not (reason or "").strip():
        raise ReasonRequired("retiring a recipe version needs a reason", {"field": "reason"})


def check_startable(
    version: RecipeVersion | None, *, code: str, number: int, now: datetime
) -> None:
    """Only an effective version starts a batch; anything else is refused, saying why."""
    if version is None:
        raise RecipeNotEffective(
            f"recipe {code} v{number} has no signed history: it starts no batch",
            {"recipe_code": code, "recipe_version": number, "state": None},
        )
    state = version.state_at(now)
    if state.starts_batches:
        return
    why = {
        RecipeState.DRAFT: "it is a draft, not yet reviewed or approved",
        RecipeState.IN_REVIEW: "it is in review, not yet approved",
        RecipeState.APPROVED: "it is approved but effective only from "
        + (version.effective_from.isoformat() if version.effective_from else "a later date"),
        RecipeState.SUPERSEDED: "it was superseded by a later version",
        RecipeState.RETIRED: "it was retired",
    }[state]
    raise RecipeNotEffective(
        f"recipe {code} v{number} cannot start a batch: {why}",
        {"recipe_code": code, "recipe_version": number, "state": state.value},
    )


def _require_author(actor: Actor, action: str) -> None:
    _no_administrator(actor, action)
    if Role.AUTHOR not in actor.roles:
        raise RoleNotAllowed(
            f"only an author (process engineering) may {action}", {"allowed_roles": ["author"]}
        )


def _require_reviewer(actor: Actor, action: str) -> None:
    _no_administrator(actor, f"{action} a recipe")
    if not REVIEWING_ROLES & set(actor.roles):
        raise RoleNotAllowed(
            f"only a supervisor or QA may {action} a recipe",
            {"allowed_roles": ["supervisor", "qa"]},
        )


def _require_qa(actor: Actor, action: str) -> None:
    _no_administrator(actor, f"{action} a recipe")
    if Role.QA not in actor.roles:
        raise RoleNotAllowed(f"only QA may {action} a recipe", {"allowed_roles": ["qa"]})


def _no_administrator(actor: Actor, action: str) -> None:
    if Role.ADMIN in actor.roles:
        raise SegregationOfDuties(
            f"a system administrator may not {action}: administration and GMP decisions are kept "
            "apart",
            {"user_id": actor.user_id},
        )


def _not_the_author(version: RecipeVersion, actor: Actor, action: str) -> None:
    if actor.user_id == version.author:
        raise SegregationOfDuties(
            f"{actor.user_id} wrote recipe {version.code} v{version.version} and may not "
            f"{action} it",
            {"author": version.author},
        )


def _require_state(version: RecipeVersion, state: RecipeState, becoming: str) -> None:
    stored = version.stored_state()
    if stored is not state:
        raise RecipeStateError(
            f"recipe {version.code} v{version.version} is {stored.label.lower()}, not "
            f"{state.label.lower()}: it cannot be {becoming}",
            {"state": stored.value, "expected": state.value},
        )
