"""Who may sign what in a recipe version's life, and when (change control): each ``check_*``
refuses in words what may not happen now, before anything is signed.

Author, reviewer and approver are three different people; the author holds ``author``, the
reviewer ``supervisor`` or ``qa``, the approver ``qa``; a system administrator takes no part.
Only an effective version starts a batch (``check_startable``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ebr.domain.batch import Actor
from ebr.domain.recipe_versions import RecipeState, RecipeVersion
from ebr.domain.refusals import (
    ReasonRequired,
    RecipeNotEffective,
    RecipeStateError,
    RoleNotAllowed,
    SegregationOfDuties,
)
from ebr.domain.roles import Role

__all__ = [
    "REVIEWING_ROLES",
    "check_approve",
    "check_dry_run",
    "check_edit",
    "check_retire",
    "check_return",
    "check_review",
    "check_startable",
    "check_submit",
]

REVIEWING_ROLES = frozenset({Role.SUPERVISOR, Role.QA})
PAST_TOLERANCE = timedelta(minutes=1)
"""An effective date this much before the approval is read as "now" (clocks and forms lag)."""


def check_edit(version: RecipeVersion | None, *, actor: Actor, code: str, number: int) -> None:
    """An author writes a draft: a new version, or one still (or again) a draft."""
    _require_author(actor, "write a recipe draft")
    if version is not None and version.stored_state() is not RecipeState.DRAFT:
        raise RecipeStateError(
            f"recipe {code} v{number} is {version.stored_state().label.lower()}: "
            "a new version is written as a draft of its own",
            {"code": code, "version": number, "state": version.stored_state().value},
        )


def check_submit(version: RecipeVersion, *, actor: Actor, problems: int = 0) -> None:
    """The author signs the draft for review; a draft whose dry run finds errors is not sent
    (``problems``: what its dry run found, see ``check_dry_run``)."""
    _require_author(actor, "submit a recipe for review")
    _require_state(version, RecipeState.DRAFT, "submitted for review")
    if actor.user_id != version.author:
        raise SegregationOfDuties(
            f"recipe {version.code} v{version.version} is {version.author}'s draft: "
            "its author submits it",
            {"author": version.author},
        )
    check_dry_run(version, problems=problems)


def check_dry_run(version: RecipeVersion, *, problems: int) -> None:
    """A draft whose dry run finds problems is not submitted for review."""
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
