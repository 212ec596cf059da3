"""QA's decision on a batch: release (``released``) or rejection (``rejected``).

Release needs every step done, no active hold, every deviation closed and every review exception
marked reviewed; a refusal lists everything still missing at once. Segregation of duties: nobody
who performed or verified a step of the batch, in any execution, may release it. Rejection needs
a reason and may come at any time before the batch is released, rejected or cancelled.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from ebr.domain.batch import Actor, BatchState, BatchStatus, StepStatus
from ebr.domain.deviations import Deviation, blocks_release
from ebr.domain.holds import Hold
from ebr.domain.meanings import Meaning
from ebr.domain.refusals import ReasonRequired, ReleaseBlocked, RoleNotAllowed, SegregationOfDuties
from ebr.domain.review import ExceptionReport, ReviewMark, unreviewed
from ebr.domain.roles import Role
from ebr.domain.signed_records import SignedRecord
from ebr.domain.status import TERMINAL, BatchEvent, check_transition

__all__ = [
    "apply_reject",
    "apply_release",
    "check_reject",
    "check_release",
    "executors",
    "missing_for_release",
]


_LABELS = {
    "step_not_done": "step(s) not done",
    "hold_active": "active hold(s)",
    "deviation_open": "open deviation(s)",
    "exception_unreviewed": "exception(s) not reviewed",
}


def executors(state: BatchState, records: Sequence[SignedRecord]) -> set[str]:
    """Everyone who performed or verified a step: from the records (every execution) and the
    batch's progress (the current one)."""
    people = {r.user_id for r in records if r.meaning in (Meaning.PERFORMED, Meaning.VERIFIED)}
    for progress in state.steps:
        people |= {u for u in (progress.performed_by, progress.verified_by) if u is not None}
    return people


def missing_for_release(
    state: BatchState,
    *,
    deviations: Sequence[Deviation],
    holds: Sequence[Hold],
    report: ExceptionReport,
    marks: Collection[ReviewMark],
) -> list[dict[str, Any]]:
    """What stands between the batch and its release, in a stable order; empty when nothing."""
    missing: list[dict[str, Any]] = [
        {"kind": "step_not_done", "step_id": p.step_id, "status": p.status.value}
        for p in state.steps
        if p.status is not StepStatus.DONE
    ]
    missing += [{"kind": "hold_active", "hold_id": h.hold_id} for h in holds if h.active]
    missing += [
        {"kind": "deviation_open", "deviation_id": d.id, "stage": d.stage.value}
        for d in deviations
        if blocks_release(d)
    ]
    missing += [
        {"kind": "exception_unreviewed", "exception_id": e.id, "exception_kind": e.kind.value}
        for e in unreviewed(report, marks)
    ]
    return missing


def check_release(
    state: BatchState,
    *,
    actor: Actor,
    records: Sequence[SignedRecord],
    deviations: Sequence[Deviation],
    holds: Sequence[Hold],
    report: ExceptionReport,
    marks: Collection[ReviewMark],
    executors_seen: Collection[str] = (),
) -> None:
    """Check that ``actor`` may release the batch now. ``executors_seen`` adds people known to
    have performed or verified a step when ``records`` are not at hand (the workflow's tally).

    In order: QA role (``role_not_allowed``); a batch not already decided
    (``transition_not_allowed``); the releaser performed or verified no step
    (``segregation_of_duties``); nothing missing (``release_blocked``, details ``missing``).
    """
    _require_qa(actor, "release")
    if state.status in TERMINAL:
        check_transition(state.status, BatchEvent.RELEASE)
    if actor.user_id in executors(state, records) | set(executors_seen):
        raise SegregationOfDuties(
            f"{actor.user_id} performed or verified a step of batch {state.header.batch_id} "
            "and may not release it",
            {"user_id": actor.user_id},
        )
    missing = missing_for_release(
        state, deviations=deviations, holds=holds, report=report, marks=marks
    )
    if missing:
        counts: dict[str, int] = {}
        for item in missing:
            counts[item["kind"]] = counts.get(item["kind"], 0) + 1
        listed = ", ".join(f"{n} {_LABELS[kind]}" for kind, n in counts.items())
        raise ReleaseBlocked(
            f"batch {state.header.batch_id} cannot be released yet: {listed}",
            {"missing": missing},
        )
    check_transition(state.status, BatchEvent.RELEASE)


def apply_release(state: BatchState) -> BatchStatus:
    state.status = check_transition(state.status, BatchEvent.RELEASE)
    return state.status


def check_reject(state: BatchState, *, actor: Actor, reason: str | None) -> None:
    """QA rejects a batch not yet decided, with a reason."""
    _require_qa(actor, "reject")
    if not (reason or "").strip():
        raise ReasonRequired("a rejection needs a reason", {"field": "reason"})
    check_transition(state.status, BatchEvent.REJECT)


def apply_reject(state: BatchState) -> BatchStatus:
    state.status = check_transition(state.status, BatchEvent.REJECT)
    return state.status


def _require_qa(actor: Actor, action: str) -> None:
    if Role.QA not in actor.roles:
        raise RoleNotAllowed(f"only QA may {action} a batch", {"allowed_roles": ["qa"]})
