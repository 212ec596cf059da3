"""The report's redlines section: each redline of the batch, its signed records, and each step it
adds or changes in the master's version beside the batch's.

The redlines are read from the batch's signed records (``ebr.domain.redlines.redlines_of``), as
the workflow and the pages read them; the batch's version of a step is the one in the recipe the
batch ran (its master with every approved redline, ``ebr.domain.redlines.effective``). Each
proposal and decision is printed in the words ``ebr.report.decisions.PLACES`` gives redlines, with
its reason, so ``verify-pdf`` finds it there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ebr.domain.recipe import NumberInput, Recipe, Step
from ebr.domain.redline_changes import describe, touched
from ebr.domain.redlines import Redline
from ebr.domain.signed_records import SignedRecord
from ebr.domain.step_verification import needs_verification
from ebr.domain.subjects import SubjectKind
from ebr.report.history import (
    DecisionLine,
    RedlineHistory,
    StepVersions,
    VersionLine,
    limits_text,
)

__all__ = ["redline_sections", "step_facts"]

_ABSENT = {"master": "(not in the master)", "batch": "(not in the batch)"}


def redline_sections(
    redlines: Iterable[Redline],
    records: Iterable[SignedRecord],
    *,
    master: Recipe,
    batch: Recipe,
) -> tuple[RedlineHistory, ...]:
    """One part per redline, in the order proposed: its status, its changes in words, each step
    it touches (master beside batch), and its signed records in chain order."""
    signed: dict[str, list[DecisionLine]] = {}
    for r in records:
        if r.subject.kind is SubjectKind.REDLINE:
            signed.setdefault(r.subject.id, []).append(
                DecisionLine(
                    record_id=r.record_id,
                    subject=r.subject,
                    manifestation=r.manifestation,
                    reason=r.reason,
                    detail=r.detail,
                )
            )
    return tuple(
        RedlineHistory(
            redline_id=redline.redline_id,
            status=redline.status.label,
            changes=tuple(describe(c) for c in redline.content.changes),
            steps=tuple(
                _versions(step_id, master.step(step_id), batch.step(step_id))
                for step_id in touched(redline.content)
            ),
            signatures=tuple(signed.get(redline.redline_id, ())),
        )
        for redline in redlines
    )


def _versions(step_id: str, master: Step | None, batch: Step | None) -> StepVersions:
    facts = {"master": step_facts(master), "batch": step_facts(batch)}
    aspects = list(dict.fromkeys([*facts["master"], *facts["batch"]]))
    lines = tuple(
        VersionLine(
            aspect=aspect,
            master=_fact(facts["master"], aspect, master is None, "master"),
            batch=_fact(facts["batch"], aspect, batch is None, "batch"),
        )
        for aspect in aspects
    )
    known = batch or master
    name = known.name if known is not None else step_id
    added = " (added by a redline)" if master is None else ""
    return StepVersions(step_id=step_id, title=f"{step_id}: {name}{added}", lines=lines)


def _fact(facts: Mapping[str, str], aspect: str, absent: bool, version: str) -> str:
    if absent:
        return _ABSENT[version]
    return facts.get(aspect, "-")


def step_facts(step: Step | None) -> dict[str, str]:
    """What a redline may change of a step, in words: its instructions, each number input's
    limits, its time limits (and what the step is); empty for no step. The pages show the same."""
    if step is None:
        return {}
    found = {
        "Step": f"{step.name} ({step.kind.value}{', verified' if needs_verification(step) else ''}), "
        f"by {step.role.value}",
        "Instructions": step.instructions,
    }
    for spec in step.inputs:
        if isinstance(spec, NumberInput):
            found[f"Limits of {spec.label}"] = limits_text(spec) or "none"
    within = step.complete_within
    timers = [
        f"at least {step.min_duration_minutes} min" if step.min_duration_minutes else "",
        f"at most {step.max_duration_minutes} min" if step.max_duration_minutes else "",
        f"within {within.minutes} min of {within.after!r}" if within else "",
    ]
    found["Time limits"] = ", ".join(t for t in timers if t) or "none"
    return found
