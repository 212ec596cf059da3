"""Printing verification results with rich: a summary table, or the first inconsistency."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ebr.domain.subjects import ChainKind
from ebr.verification.bundle_check import BundleSummary
from ebr.verification.findings import ChainTally, Inconsistency, Summary

__all__ = ["print_bundle_summary", "print_inconsistency", "print_summary"]


def print_summary(console: Console, summary: Summary) -> None:
    table = Table("checked", "count", title="ebr verify: the record store is consistent")
    table.add_row("users", str(summary.users))
    table.add_row("users as their signed account events leave them", str(summary.accounts))
    table.add_row("keys (certificates)", str(summary.keys))
    table.add_row("signed records", str(summary.records))
    for kind in ChainKind:  # every kind, so a kind with no chain yet is seen to have none
        table.add_row(f"{kind.value} chains", _chains(summary.chains.get(kind, ChainTally())))
    table.add_row("redlines applied to their master", str(summary.redlines))
    table.add_row("audit entries", str(summary.audit_entries))
    table.add_row(
        "recipe revisions (body, audited save, signatures)", str(summary.recipe_revisions)
    )
    table.add_row("batches on a version effective at their start", str(summary.batches))
    table.add_row("checkpoints", str(summary.checkpoints))
    if summary.latest is not None:
        table.add_row("latest checkpoint", f"size {summary.latest.tree_size}")
        table.add_row(
            "entries after it (not yet signed)",
            str(summary.audit_entries - summary.latest.tree_size),
        )
    if summary.since_size is not None:
        table.add_row("consistent with saved checkpoint", f"size {summary.since_size}")
    if summary.witnessed_size is not None:
        table.add_row(
            "consistent with witnessed checkpoints",
            f"{summary.witnessed} (newest size {summary.witnessed_size})",
        )
        table.add_row(
            "entries after the newest witnessed",
            str(summary.audit_entries - summary.witnessed_size),
        )
    table.add_row("time", f"{summary.seconds:.2f} s")
    table.add_row("records / second", f"{summary.records_per_second:,.0f}")
    console.print(table)


def _chains(tally: ChainTally) -> str:
    return f"{tally.chains} ({tally.records} records)"


def print_bundle_summary(console: Console, summary: BundleSummary) -> None:
    title = f"ebr verify: bundle of batch {escape(summary.batch_id)} is consistent"
    table = Table("checked", title=title)
    table.add_column("count", overflow="fold")  # a fingerprint is useless cut short
    table.add_row("signed records of its chain", str(summary.records))
    table.add_row("of which decisions", str(summary.decisions))
    table.add_row("keys (certificates)", str(summary.keys))
    table.add_row("audit entries (inclusion proven)", str(summary.audit_entries))
    table.add_row("checkpoint", f"size {summary.checkpoint_size}")
    table.add_row("CA fingerprint (SHA-256)", summary.ca_fingerprint)
    console.print(table)
    if summary.ca_from_bundle:
        console.print(
            "[yellow]warning:[/] the CA certificate was trusted from the bundle itself; compare "
            "its fingerprint with the site's (`ebr ca show`) or pass --ca FILE"
        )


def print_inconsistency(console: Console, problem: Inconsistency) -> None:
    console.print("[bold red]INCONSISTENT[/]: verification stopped at the first problem")
    console.print(f"  table:   {escape(problem.table)}")
    console.print(f"  entry:   {escape(problem.entry)}")
    console.print(f"  problem: {escape(problem.problem)}")
