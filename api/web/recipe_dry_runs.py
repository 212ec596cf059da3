"""The dry run as the recipe pages show it: the API's own (``ebr.dry_run``), kept for a while by
content hash, and a dry run that cannot run said in words instead of failing the page.

A dry run starts a simulated plant of its own (a second or more of work), and the same content
is looked at by its author, its reviewer and its approver in turn; its report depends on the
content alone (the hash names it whole), so a report made once is shown again rather than run
again. Nothing is stored: a restart forgets them.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from ebr.domain.dry_run import DryRun
from ebr.domain.recipe import Recipe
from ebr.domain.refusals import Refusal
from ebr.dry_run import dry_run

__all__ = ["DryRunShown", "dry_run_shown"]

KEPT = 32
"""How many reports are kept (the least recently shown goes first)."""

_reports: OrderedDict[str, DryRun] = OrderedDict()


@dataclass(frozen=True)
class DryRunShown:
    """A dry run's report, or why there is none (the simulator is not installed, say)."""

    report: DryRun | None = None
    refused: str = ""


async def dry_run_shown(recipe: Recipe) -> DryRunShown:
    """The report of ``recipe``'s dry run: kept from an earlier run of the same content, or run
    now; a refusal (``SimulatorMissing``) is shown in its words."""
    content_hash = recipe.content_hash()
    kept = _reports.get(content_hash)
    if kept is not None:
        _reports.move_to_end(content_hash)
        return DryRunShown(report=kept)
    try:
        report = await dry_run(recipe)
    except Refusal as exc:
        return DryRunShown(refused=exc.message)
    _reports[content_hash] = report
    while len(_reports) > KEPT:
        _reports.popitem(last=False)
    return DryRunShown(report=report)
