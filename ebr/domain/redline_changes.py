"""What a redline changes: typed changes to the steps of one batch's recipe, and the recipe they make.

A redline changes the recipe of one running batch, in steps not yet started: it adds a step, or
changes a step's instructions, the limits of one of its number inputs, or its time limits. Its
content (``RedlineContent``) is what the supervisor signs, as the record's ``detail``; its hash
binds QA's approval to exactly that content. ``apply_redline`` makes the recipe the batch runs
from then on through the recipe's own models, so every rule and limit of a master recipe
(``ebr.domain.recipe``, ``ebr.domain.recipe_limits``) holds for it: a redline never makes a recipe
that could not have been approved as a master. ``check_unstarted`` says, from the batch's
progress, that the changes touch no step that has started.

Pure: the workflow applies these as QA approves, and the readers (pages, report, ``ebr verify``)
apply the same signed contents in the same order to the same master, so all see the same steps.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Annotated, Any, Literal

import rfc8785
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ebr.domain.batch import BatchState, StepStatus
from ebr.domain.recipe import BoundedDecimal, CompleteWithin, Minutes, Recipe, Step
from ebr.domain.recipe_limits import MAX_ID, MAX_INSTRUCTIONS, MAX_PROBLEMS
from ebr.domain.refusals import PayloadMismatch, RedlineInvalid, RedlineStepStarted

__all__ = [
    "MAX_CHANGES",
    "AddStep",
    "Change",
    "ChangeInstructions",
    "ChangeLimits",
    "ChangeTimer",
    "RedlineContent",
    "apply_redline",
    "check_unstarted",
    "describe",
    "effective_recipe",
    "started_steps",
    "touched",
]

MAX_CHANGES = 50
"""Changes in one redline: a redline amends a few steps; a new process is a new master version."""

StepRef = Annotated[str, Field(min_length=1, max_length=MAX_ID)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AddStep(_Frozen):
    """A new step, done right after step ``after``, in ``after``'s operation."""

    kind: Literal["add_step"]
    after: StepRef
    step: Step


class ChangeInstructions(_Frozen):
    """New instructions for a step."""

    kind: Literal["instructions"]
    step_id: StepRef
    instructions: str = Field(min_length=1, max_length=MAX_INSTRUCTIONS)


class ChangeLimits(_Frozen):
    """New limits of one number input of a step; each replaces the master's (None: no limit)."""

    kind: Literal["limits"]
    step_id: StepRef
    input: StepRef
    min: BoundedDecimal | None = None
    max: BoundedDecimal | None = None


class ChangeTimer(_Frozen):
    """New time limits of a step; each replaces the master's (None: none)."""

    kind: Literal["timer"]
    step_id: StepRef
    min_duration_minutes: Minutes | None = None
    max_duration_minutes: Minutes | None = None
    complete_within: CompleteWithin | None = None


Change = Annotated[
    AddStep | ChangeInstructions | ChangeLimits | ChangeTimer, Field(discriminator="kind")
]


class RedlineContent(_Frozen):
    """The changes of one redline, in the order they are applied: what the proposer signs."""

    changes: tuple[Change, ...] = Field(min_length=1, max_length=MAX_CHANGES)

    def detail(self) -> dict[str, Any]:
        """The signed record's ``detail``: every field spelled out, as JSON."""
        return self.model_dump(mode="json")

    def content_hash(self) -> str:
        """SHA-256 of the RFC 8785 canonical JSON of ``detail``: what QA's decision names."""
        return hashlib.sha256(rfc8785.dumps(self.detail())).hexdigest()

    @classmethod
    def of(cls, detail: dict[str, Any] | None) -> RedlineContent:
        """The content a signed proposal carries, in its canonical form (its hash is then the
        hash of what was signed).

        Raises:
            RedlineInvalid: the detail is not a redline's content (each problem in details).
            PayloadMismatch: it is, but not written as ``detail()`` writes it.
        """
        try:
            content = cls.model_validate(detail or {})
        except ValidationError as exc:
            raise _invalid(
                [{"field": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in exc.errors()]
            ) from None
        if content.detail() != detail:
            raise PayloadMismatch("the redline's content is not signed in its canonical form")
        return content


def touched(content: RedlineContent) -> tuple[str, ...]:
    """The ids of the steps a redline adds or changes, in the order of its changes."""
    ids = (c.step.id if isinstance(c, AddStep) else c.step_id for c in content.changes)
    return tuple(dict.fromkeys(ids))


def describe(change: Change) -> str:
    """One change in words, for pages, the review and the report."""
    if isinstance(change, AddStep):
        return f"add step {change.step.id!r} ({change.step.name}) after {change.after!r}"
    if isinstance(change, ChangeInstructions):
        return f"new instructions for step {change.step_id!r}"
    if isinstance(change, ChangeLimits):
        low = "no minimum" if change.min is None else f"min {change.min}"
        high = "no maximum" if change.max is None else f"max {change.max}"
        return f"limits of {change.input!r} at step {change.step_id!r}: {low}, {high}"
    within = change.complete_within
    parts = [
        f"min {change.min_duration_minutes} min" if change.min_duration_minutes else "no minimum",
        f"max {change.max_duration_minutes} min" if change.max_duration_minutes else "no maximum",
    ] + ([f"within {within.minutes} min of {within.after!r}"] if within else [])
    return f"time limits of step {change.step_id!r}: {', '.join(parts)}"


def apply_redline(recipe: Recipe, content: RedlineContent) -> Recipe:
    """The recipe with ``content``'s changes applied in order, validated as a whole.

    Raises:
        RedlineInvalid: a change names a step or input the recipe does not have, limits a
            non-number input, or the result breaks a rule of the recipe (a repeated step id, a
            ``complete_within`` naming a later step, min above max, a limit of the recipe...).
    """
    data = recipe.model_dump(mode="json")
    problems: list[dict[str, Any]] = []
    for number, change in enumerate(content.changes, start=1):
        problem = _apply(data, change)
        if problem is not None:
            problems.append({"change": number, **problem})
    if problems:
        raise _invalid(problems)
    try:
        return Recipe.model_validate(data)
    except ValidationError as exc:
        raise _invalid([_problem(data, e["loc"], e["msg"]) for e in exc.errors()]) from None


def effective_recipe(master: Recipe, approved: Iterable[RedlineContent]) -> Recipe:
    """The recipe a batch runs: its master with each approved redline applied, in the order QA
    approved them."""
    recipe = master
    for content in approved:
        recipe = apply_redline(recipe, content)
    return recipe


def started_steps(state: BatchState) -> dict[str, str]:
    """Each step of the batch that has started, with why in words: done, awaiting verification,
    opened again by a rework, or the step to do now (its clock runs: ``ebr.domain.timing``)."""
    found: dict[str, str] = {}
    reached = True  # every step before was done once (a corrected one awaits verification again)
    for progress in state.steps:
        if progress.status is StepStatus.DONE:
            found[progress.step_id] = "is done"
        elif progress.status is StepStatus.AWAITING_VERIFICATION:
            found[progress.step_id] = "is awaiting verification"
        elif progress.execution > 1:
            found[progress.step_id] = "was done and is opened again by a rework"
        elif reached:
            found[progress.step_id] = "has started: it is the step to do now"
        reached = reached and (progress.status is StepStatus.DONE or progress.done_at is not None)
    return found


def check_unstarted(state: BatchState, after: Recipe, content: RedlineContent) -> None:
    """The changes touch no step that has started, and no step is added before one.

    Raises:
        RedlineStepStarted: naming the step and what it is at, in words.
    """
    started = started_steps(state)
    order = {step.id: index for index, step in enumerate(after.steps())}
    for change in content.changes:
        if isinstance(change, AddStep):
            later = [s for s in started if order[s] > order[change.step.id]]
            if later:
                last = max(later, key=order.__getitem__)
                raise RedlineStepStarted(
                    f"step {change.step.id!r} would come before step {last!r}, which "
                    f"{started[last]}: add it after {last!r} or later",
                    {"step_id": last, "status": started[last], "added": change.step.id},
                )
        elif change.step_id in started:
            raise RedlineStepStarted(
                f"step {change.step_id!r} {started[change.step_id]}: a redline changes only "
                "steps not yet started",
                {"step_id": change.step_id, "status": started[change.step_id]},
            )


def _apply(data: dict[str, Any], change: Change) -> dict[str, Any] | None:
    """Apply one change to the recipe's JSON in place; the problem, if it cannot be applied."""
    name = change.after if isinstance(change, AddStep) else change.step_id
    place = _find(data, name)
    if place is None:
        field = "after" if isinstance(change, AddStep) else "step_id"
        return {"field": field, "message": f"the batch's recipe has no step {name!r}"}
    steps, index = place
    step = steps[index]
    if isinstance(change, AddStep):
        steps.insert(index + 1, change.step.model_dump(mode="json"))
    elif isinstance(change, ChangeInstructions):
        step["instructions"] = change.instructions
    elif isinstance(change, ChangeLimits):
        spec = next((s for s in step["inputs"] if s["name"] == change.input), None)
        if spec is None:
            return {"field": "input", "message": f"step {name!r} has no input {change.input!r}"}
        if spec["type"] != "number":
            return {
                "field": "input",
                "message": f"input {change.input!r} of step {name!r} is a {spec['type']} input: "
                "only a number input has limits",
            }
        spec["min"], spec["max"] = [None if v is None else str(v) for v in (change.min, change.max)]
    else:
        within = change.complete_within
        step["min_duration_minutes"] = change.min_duration_minutes
        step["max_duration_minutes"] = change.max_duration_minutes
        step["complete_within"] = within.model_dump(mode="json") if within else None
    return None


def _find(data: dict[str, Any], step_id: str) -> tuple[list[dict[str, Any]], int] | None:
    """The list of steps holding ``step_id`` in the recipe's JSON, and its index there."""
    for unit in data["procedure"]:
        for operation in unit["operations"]:
            for index, step in enumerate(operation["steps"]):
                if step["id"] == step_id:
                    return operation["steps"], index
    return None


def _problem(data: dict[str, Any], loc: tuple[int | str, ...], message: str) -> dict[str, Any]:
    """A problem pydantic found in the changed recipe, placed at its step when it has one."""
    if len(loc) >= 6 and loc[0] == "procedure" and loc[2] == "operations" and loc[4] == "steps":
        try:
            unit, operation, index = int(loc[1]), int(loc[3]), int(loc[5])
            step = data["procedure"][unit]["operations"][operation]["steps"][index]
        except (IndexError, KeyError, TypeError, ValueError):
            step = None
        if step is not None:
            field = ".".join(map(str, loc[6:])) or "step"
            return {"step_id": step["id"], "field": field, "message": message}
    return {"field": ".".join(map(str, loc)) or "recipe", "message": message}


def _invalid(problems: list[dict[str, Any]]) -> RedlineInvalid:
    """The refusal of content that does not make a recipe: every problem, the first in words."""
    first = problems[0]
    where = f"step {first['step_id']!r}, " if "step_id" in first else ""
    where = f"change {first['change']}: {where}" if "change" in first else where
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return RedlineInvalid(
        f"the redline cannot be applied: {where}{first['message']}{more}",
        {"problems": problems[:MAX_PROBLEMS], "count": len(problems)},
    )
