"""The redlines part of the batch page: each redline, and each step it touches in words, the
master's version beside the batch's (and, while QA has not decided, the version it would make),
as the report shows them (``ebr.report.redlines.step_facts``)."""

from __future__ import annotations

from dataclasses import dataclass

from api.redline_schemas import RedlineView, StepVersions
from ebr.domain.redlines import RedlineStatus
from ebr.report.redlines import step_facts

__all__ = ["RedlinePart", "VersionRow", "redline_parts"]

_ABSENT = "—"


@dataclass(frozen=True)
class VersionRow:
    """One aspect of a step in each version (``—``: the version has no such step)."""

    aspect: str
    master: str
    batch: str
    proposed: str
    changed: bool


@dataclass(frozen=True)
class RedlinePart:
    view: RedlineView
    steps: list[tuple[str, list[VersionRow]]]

    @property
    def awaiting(self) -> bool:
        """Proposed, not yet approved or rejected: QA's forms are shown."""
        return self.view.status is RedlineStatus.PROPOSED


def redline_parts(views: list[RedlineView]) -> list[RedlinePart]:
    return [RedlinePart(view=v, steps=[_rows(s, v.status) for s in v.steps]) for v in views]


def _rows(versions: StepVersions, status: RedlineStatus) -> tuple[str, list[VersionRow]]:
    master, batch = step_facts(versions.master), step_facts(versions.batch)
    proposed = step_facts(versions.proposed)
    aspects = list(dict.fromkeys([*master, *batch, *proposed]))
    after = proposed if status is RedlineStatus.PROPOSED else batch
    rows = [
        VersionRow(
            aspect=aspect,
            master=master.get(aspect, _ABSENT),
            batch=batch.get(aspect, _ABSENT),
            proposed=proposed.get(aspect, _ABSENT),
            changed=master.get(aspect) != after.get(aspect),
        )
        for aspect in aspects
    ]
    known = versions.batch or versions.proposed or versions.master
    name = known.name if known is not None else versions.step_id
    added = " (added by the redline)" if versions.master is None else ""
    return f"{versions.step_id}: {name}{added}", rows
