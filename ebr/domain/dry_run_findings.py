"""What a recipe dry run counts as a problem (``Finding``, each at one step, in words), and what
the recipe alone shows before anything runs: a step no role of the plant performs, and a deadline
its minimum durations make unreachable. ``ebr.domain.dry_run`` adds what the runs showed."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from ebr.domain.recipe import Recipe
from ebr.domain.roles import Role

__all__ = ["PLANT_ROLES", "Finding", "FindingKind", "distinct", "recipe_findings"]

PLANT_ROLES: frozenset[Role] = frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.QA})
"""The roles of the simulated plant: each has a signer (and a second one where a step's only
verifying role is its own)."""


class FindingKind(StrEnum):
    """What a finding is about; ``label`` says it in words."""

    UNREACHABLE = "unreachable"
    NO_PERFORMER = "no_performer"
    REFUSED = "refused"
    BREACHED = "breached"
    NOT_HELD = "not_held"

    @property
    def label(self) -> str:
        return {
            "unreachable": "cannot be completed in time",
            "no_performer": "no role of the plant performs it",
            "refused": "the simulation could not complete it",
            "breached": "a time limit passed in the in-limit run",
            "not_held": "an out-of-limit critical value did not hold the batch",
        }[self.value]


class Finding(BaseModel):
    """A problem of the recipe, at one step, in words. Every finding is a problem."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    step_id: str
    kind: FindingKind
    message: str


def recipe_findings(recipe: Recipe, roles: frozenset[Role]) -> list[Finding]:
    """What the recipe alone shows: steps no role of ``roles`` performs (a step's verifiers
    include its own role, so a plant that performs a step can verify it, given a second person),
    and deadlines the minimum durations make unreachable. A step completed exactly at its
    deadline is late (``timing.breach``), so a deadline equal to the least time possible is
    unreachable."""
    steps = list(recipe.steps())
    found: list[Finding] = []
    for index, step in enumerate(steps):
        if step.role not in roles:
            message = f"step {step.id!r} is performed by {step.role.value}, a role the plant lacks"
            found.append(Finding(step_id=step.id, kind=FindingKind.NO_PERFORMER, message=message))
        shortest, longest = step.min_duration_minutes, step.max_duration_minutes
        if shortest is not None and longest is not None and shortest >= longest:
            message = (
                f"step {step.id!r} lasts at least {shortest} minutes, so it is completed at its "
                f"maximum duration of {longest} minutes at the earliest: that is already late"
            )
            found.append(Finding(step_id=step.id, kind=FindingKind.UNREACHABLE, message=message))
        within = step.complete_within
        if within is None:
            continue
        after = next(i for i, s in enumerate(steps) if s.id == within.after)
        waited = [(s.id, s.min_duration_minutes) for s in steps[after + 1 : index + 1]]
        least = sum(m or 0 for _, m in waited)
        if least >= within.minutes:
            parts = ", ".join(f"{s!r} {m} min" for s, m in waited if m)
            message = (
                f"step {step.id!r} must be completed within {within.minutes} minutes of "
                f"{within.after!r}, but the minimum durations from there ({parts}) add up to "
                f"{least} minutes: it is late even when nothing else is waited for"
            )
            found.append(Finding(step_id=step.id, kind=FindingKind.UNREACHABLE, message=message))
    return found


def distinct(findings: Iterable[Finding]) -> list[Finding]:
    """Each finding once (the same words at the same step), in the order first found."""
    seen: set[tuple[str, str]] = set()
    kept: list[Finding] = []
    for finding in findings:
        if (finding.step_id, finding.message) not in seen:
            seen.add((finding.step_id, finding.message))
            kept.append(finding)
    return kept
