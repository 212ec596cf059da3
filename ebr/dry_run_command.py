"""``ebr recipe simulate FILE``: the dry run of a recipe file (``ebr.dry_run``), printed for its
author; exit code 1 when it finds problems or the file is not a recipe.

The recipe is executed on a throwaway time-skipping Temporal server and store (nothing of the
site's is touched): once with values in their limits, then once per critical number out of its
limits. Printed: the steps, the plant time, the timers, the deviation and hold each critical value
out of its limits causes, and the problems.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ebr.domain.dry_run import DryRun, Timer, VariantOutcome
from ebr.domain.recipe_loading import parse_recipe
from ebr.domain.refusals import Refusal
from ebr.domain.timing import TimerKind

__all__ = ["render", "simulate"]

console = Console()
errors = Console(stderr=True)


def simulate(
    path: Annotated[Path, typer.Argument(help="The recipe file (YAML or JSON).")],
) -> None:
    """Dry-run a recipe file on a simulated plant (nothing is stored); exit 1 on problems."""
    try:
        recipe = parse_recipe(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise _fail(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise _fail(f"{path} is not UTF-8 text") from None
    except Refusal as exc:
        for problem in exc.details or []:
            errors.print(
                f"  {problem['where']} · {problem.get('field') or '-'}: {problem['message']}",
                markup=False,
            )
        raise _fail(f"{path} is not a valid recipe: {exc.message}") from None
    from ebr.dry_run import dry_run  # the worker's imports load only when a dry run is asked for

    try:
        result = asyncio.run(dry_run(recipe))
    except Refusal as exc:
        raise _fail(exc.message) from None
    render(result, console)
    if result.problems:
        raise typer.Exit(code=1)


def render(result: DryRun, out: Console) -> None:
    """The dry run in tables: steps, plant time, timers, critical values, problems (in red)."""
    out.print(
        f"[bold]Dry run of {result.recipe_code} v{result.recipe_version}[/] "
        f"(sha256 {result.recipe_hash[:16]}…)"
    )
    steps = Table("#", "step", "where", "role", "verified by", "time limits", "done at")
    for number, step in enumerate(result.steps, start=1):
        limits = []
        if step.min_duration_minutes:
            limits.append(f"≥ {_clock(step.min_duration_minutes)}")
        if step.max_duration_minutes:
            limits.append(f"≤ {_clock(step.max_duration_minutes)}")
        if step.complete_within:
            within = step.complete_within
            limits.append(f"within {_clock(within.minutes)} of {within.after}")
        steps.add_row(
            str(number),
            step.step_id,
            f"{step.unit_procedure} › {step.operation}",
            step.role.value,
            ", ".join(r.value for r in step.verified_by) or "-",
            "; ".join(limits) or "-",
            "not reached" if step.done_minute is None else _clock(step.done_minute),
        )
    out.print(steps)
    how = "completed" if result.completed else "stopped early"
    out.print(f"In-limit run: {how} after [bold]{_clock(result.elapsed_minutes)}[/] of plant time.")
    for wait in result.waits:
        out.print(
            f"  {wait.step_id}: waited {_clock(wait.waited_minutes)} "
            f"(minimum duration {_clock(wait.min_duration_minutes)})"
        )
    if result.timers:
        timers = Table("timer", "falls due at", "step completed at", "breached")
        for timer in result.timers:
            timers.add_row(
                _timer(timer),
                _clock(timer.due_minute) if timer.due_minute is not None else "never started",
                _clock(timer.completed_minute) if timer.completed_minute is not None else "-",
                "[red]yes[/]" if timer.breached else "no",
            )
        out.print(timers)
    if result.variants:
        critical = Table("step", "critical value out of limits", "deviation", "holds the batch")
        for outcome in result.variants:
            critical.add_row(*_variant(outcome))
        out.print(critical)
    else:
        out.print("No critical number with limits: no out-of-limit variant to run.")
    if result.problems:
        out.print(f"[red bold]{result.problems} problem(s):[/]")
        for finding in result.findings:
            out.print(f"[red]  {finding.step_id}: {escape(finding.message)}[/]", highlight=False)
    else:
        out.print("[green]No problems found.[/]")


def _variant(outcome: VariantOutcome) -> tuple[str, str, str, str]:
    variant = outcome.variant
    value = f"{variant.input} = {variant.value} {variant.unit} (limits {variant.limits})"
    if outcome.refused is not None:
        return (
            variant.step_id,
            value,
            f"[red]not reached: {escape(outcome.refused.message)}[/]",
            "-",
        )
    if outcome.deviation_id is None:
        deviation = "[red]none opened[/]"
    else:
        deviation = "opened, on a critical parameter" if outcome.critical else "opened"
    status = outcome.batch_status.label.lower() if outcome.batch_status else "-"
    holds = f"yes ({status})" if outcome.holds else f"[red]no[/] ({status})"
    return variant.step_id, value, deviation, holds


def _timer(timer: Timer) -> str:
    if timer.kind is TimerKind.MAX_DURATION:
        return f"{timer.step_id}: at most {_clock(timer.minutes)}"
    return f"{timer.step_id}: within {_clock(timer.minutes)} of {timer.after_step}"


def _clock(minutes: float) -> str:
    """Plant time in words: ``45 min``, ``2 h 5 min``, ``3 d 4 h``."""
    whole = round(minutes)
    if whole < 60:
        return f"{minutes:g} min" if minutes != whole else f"{whole} min"
    days, rest = divmod(whole, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} d"] if days else []
    parts += [f"{hours} h"] if hours else []
    parts += [f"{mins} min"] if mins and not days else []
    return " ".join(parts)


def _fail(message: str) -> typer.Exit:
    errors.print(f"[red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code=1)
