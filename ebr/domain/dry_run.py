"""The recipe dry run's report (``DryRun``), read from what its runs did.

A dry run executes a recipe version on a simulated plant before it is approved (``ebr.dry_run``
runs it on Temporal): once with every value in its limits (``dry_run_values``), waiting out each
minimum duration, and once per critical number with a value just out of its limits. ``report``
reads those runs into the steps, the plant time, the timers and what each critical value did,
and adds the problems the runs showed (a deadline passed, a step refused, a critical value that
did not hold the batch) to those the recipe alone shows (``dry_run_findings``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict, computed_field

from ebr.domain.batch import BatchState, BatchStatus
from ebr.domain.dry_run_findings import (
    PLANT_ROLES,
    Finding,
    FindingKind,
    distinct,
    recipe_findings,
)
from ebr.domain.dry_run_timers import Timer, minutes_between, minutes_since, timer_words, timers_of
from ebr.domain.dry_run_values import Variant
from ebr.domain.execution import verifiers_of
from ebr.domain.recipe import CompleteWithin, Recipe
from ebr.domain.roles import Role
from ebr.domain.step_verification import needs_verification, verification_reason
from ebr.domain.timing import done_at, step_started_at

__all__ = [
    "DryRun",
    "Run",
    "StepPlan",
    "StepRefused",
    "Timer",
    "VariantOutcome",
    "Wait",
    "report",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# What the simulation hands over


class StepRefused(_Frozen):
    """A simulated record refused, by the batch's workflow or, for values no one can record, by
    the rules the API applies before signing: the step, the meaning it was to be signed with
    (``performed``, ``verified``), and the refusal's code and words."""

    step_id: str
    meaning: str
    code: str
    message: str


class Run(_Frozen):
    """One simulated run: the batch as its workflow left it, when it started and stopped, the
    timers its workflow found breached (their ids), and the refusal that stopped it early, if one
    did."""

    started_at: datetime
    ended_at: datetime
    batch: BatchState
    breached: tuple[str, ...] = ()
    refused: StepRefused | None = None


class VariantOutcome(_Frozen):
    """What one out-of-limit value did: the deviation it opened (its id and words), whether that
    deviation holds the batch, and the batch's status after it; or the refusal that stopped the
    run before (or at) the value."""

    variant: Variant
    deviation_id: str | None = None
    deviation: str | None = None
    critical: bool = False
    holds: bool = False
    batch_status: BatchStatus | None = None
    refused: StepRefused | None = None


# The report


class StepPlan(_Frozen):
    """A step as the dry run shows it, with its times in the in-limit run (minutes from the
    batch's start; None for a step the run did not reach)."""

    step_id: str
    name: str
    unit_procedure: str
    operation: str
    role: Role
    verify: bool  # a second person verifies it (``step_verification.needs_verification``)
    verify_reason: str | None = None
    verified_by: tuple[Role, ...]
    min_duration_minutes: int | None
    max_duration_minutes: int | None
    complete_within: CompleteWithin | None
    started_minute: float | None
    completed_minute: float | None
    done_minute: float | None


class Wait(_Frozen):
    """A minimum duration the in-limit run waited out."""

    step_id: str
    min_duration_minutes: int
    waited_minutes: float


class DryRun(_Frozen):
    """The dry run of one recipe version: its steps, the plant time of the in-limit run and where
    it goes, its timers, what each critical value out of its limits does, and its findings.
    ``problems`` counts the findings: a version is not submitted for review while it is not 0."""

    recipe_code: str
    recipe_version: int
    recipe_hash: str
    steps: tuple[StepPlan, ...]
    completed: bool
    elapsed_minutes: float
    waits: tuple[Wait, ...]
    timers: tuple[Timer, ...]
    variants: tuple[VariantOutcome, ...]
    findings: tuple[Finding, ...]

    @computed_field  # type: ignore[prop-decorator]  # pydantic documents it on a property
    @property
    def problems(self) -> int:
        return len(self.findings)


def report(
    recipe: Recipe,
    in_limit: Run,
    outcomes: Sequence[VariantOutcome],
    *,
    roles: frozenset[Role] = PLANT_ROLES,
) -> DryRun:
    """The dry run's report from what the runs did; ``roles`` are the plant's roles."""
    timers = timers_of(
        recipe,
        in_limit.batch,
        start=in_limit.started_at,
        ended_at=in_limit.ended_at,
        breached=in_limit.breached,
    )
    findings = recipe_findings(recipe, roles)
    unreachable = {f.step_id for f in findings if f.kind is FindingKind.UNREACHABLE}
    findings += [
        Finding(
            step_id=t.step_id,
            kind=FindingKind.BREACHED,
            message=f"{timer_words(t)} passed in the in-limit run, with every minimum duration "
            "kept and nothing else waited for",
        )
        for t in timers
        if t.breached and t.step_id not in unreachable
    ]
    if in_limit.refused is not None:
        findings.append(_refused(in_limit.refused, "with values in their limits"))
    for outcome in outcomes:
        findings += _variant_findings(outcome, in_limit.refused)
    done = in_limit.batch.completed_at if in_limit.refused is None else None
    return DryRun(
        recipe_code=recipe.code,
        recipe_version=recipe.version,
        recipe_hash=recipe.content_hash(),
        steps=tuple(_plans(recipe, in_limit)),
        completed=done is not None and in_limit.batch.status is BatchStatus.AWAITING_REVIEW,
        elapsed_minutes=minutes_between((done or in_limit.ended_at) - in_limit.started_at),
        waits=tuple(_waits(recipe, in_limit)),
        timers=tuple(timers),
        variants=tuple(outcomes),
        findings=tuple(distinct(findings)),
    )


def _refused(refused: StepRefused, how: str) -> Finding:
    return Finding(
        step_id=refused.step_id,
        kind=FindingKind.REFUSED,
        message=f"step {refused.step_id!r} could not be {refused.meaning} {how}: "
        f"{refused.message} ({refused.code})",
    )


def _variant_findings(outcome: VariantOutcome, stopped: StepRefused | None) -> list[Finding]:
    variant = outcome.variant
    where = f"{variant.input} = {variant.value} {variant.unit}"
    if outcome.refused is not None:
        if stopped is not None and outcome.refused.step_id == stopped.step_id:
            return []  # the in-limit run stopped there already: one finding says so
        return [_refused(outcome.refused, f"with {where}")]
    if outcome.deviation_id is None or not outcome.holds:
        what = "opened no deviation" if outcome.deviation_id is None else "did not hold the batch"
        message = f"{where} (limits {variant.limits}) is out of its limits but {what}"
        return [Finding(step_id=variant.step_id, kind=FindingKind.NOT_HELD, message=message)]
    return []


def _plans(recipe: Recipe, run: Run) -> Iterable[StepPlan]:
    batch, start = run.batch, run.started_at
    for unit in recipe.procedure:
        for operation in unit.operations:
            for step in operation.steps:
                progress = batch.progress(step.id)
                started = step_started_at(batch, step.id, not_before=start)
                performed = progress.performed_at if progress else None
                verified = needs_verification(step)
                yield StepPlan(
                    step_id=step.id,
                    name=step.name,
                    unit_procedure=unit.id,
                    operation=operation.id,
                    role=step.role,
                    verify=verified,
                    verify_reason=verification_reason(step),
                    verified_by=_ordered(verifiers_of(step.role)) if verified else (),
                    min_duration_minutes=step.min_duration_minutes,
                    max_duration_minutes=step.max_duration_minutes,
                    complete_within=step.complete_within,
                    started_minute=minutes_since(start, started),
                    completed_minute=minutes_since(start, performed),
                    done_minute=minutes_since(start, done_at(progress) if progress else None),
                )


def _waits(recipe: Recipe, run: Run) -> Iterable[Wait]:
    for step in recipe.steps():
        progress = run.batch.progress(step.id)
        if step.min_duration_minutes is None or progress is None or not progress.performed_at:
            continue
        started = step_started_at(run.batch, step.id, not_before=run.started_at)
        if started is not None:
            yield Wait(
                step_id=step.id,
                min_duration_minutes=step.min_duration_minutes,
                waited_minutes=minutes_between(progress.performed_at - started),
            )


def _ordered(roles: frozenset[Role]) -> tuple[Role, ...]:
    return tuple(role for role in Role if role in roles)
