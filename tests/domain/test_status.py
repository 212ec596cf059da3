"""The batch status machine: every allowed transition, and every other pair refused."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from ebr.domain.batch import BatchStatus
from ebr.domain.refusals import RefusalKind, TransitionNotAllowed
from ebr.domain.roles import Role
from ebr.domain.status import (
    TERMINAL,
    TRANSITIONS,
    BatchEvent,
    check_transition,
    resume_event,
)

S, E = BatchStatus, BatchEvent

# Written out independently of the table in ebr/domain/status.py, as docs/batch-status.md has it.
ALLOWED: dict[tuple[BatchStatus, BatchEvent], BatchStatus] = {
    (S.IN_PROGRESS, E.HOLD): S.ON_HOLD,
    (S.ON_HOLD, E.HOLD): S.ON_HOLD,
    (S.AWAITING_REVIEW, E.HOLD): S.ON_HOLD,
    (S.ON_HOLD, E.RESUME): S.IN_PROGRESS,
    (S.ON_HOLD, E.RESUME_TO_REVIEW): S.AWAITING_REVIEW,
    (S.IN_PROGRESS, E.FINISH): S.AWAITING_REVIEW,
    (S.AWAITING_REVIEW, E.REOPEN): S.IN_PROGRESS,
    (S.AWAITING_REVIEW, E.RELEASE): S.RELEASED,
    (S.IN_PROGRESS, E.REJECT): S.REJECTED,
    (S.ON_HOLD, E.REJECT): S.REJECTED,
    (S.AWAITING_REVIEW, E.REJECT): S.REJECTED,
    (S.IN_PROGRESS, E.CANCEL): S.CANCELLED,
    (S.ON_HOLD, E.CANCEL): S.CANCELLED,
}


@pytest.mark.parametrize(("current", "event"), sorted(ALLOWED))
def test_allowed_transition(current: BatchStatus, event: BatchEvent) -> None:
    assert check_transition(current, event) is ALLOWED[(current, event)]


REFUSED = sorted(set(itertools.product(BatchStatus, BatchEvent)) - set(ALLOWED))


@pytest.mark.parametrize(("current", "event"), REFUSED)
def test_every_other_transition_is_refused(current: BatchStatus, event: BatchEvent) -> None:
    with pytest.raises(TransitionNotAllowed) as caught:
        check_transition(current, event)
    error = caught.value
    assert error.code == "transition_not_allowed"
    assert error.kind is RefusalKind.CONFLICT
    assert error.details["status"] == current.value
    assert error.details["event"] == event.value
    assert current.value not in error.details["allowed_from"]


def test_the_refusal_reads_as_a_sentence() -> None:
    with pytest.raises(TransitionNotAllowed) as caught:
        check_transition(S.IN_PROGRESS, E.RELEASE)
    assert caught.value.message == "a batch that is in progress cannot release"
    assert caught.value.details["allowed_from"] == ["awaiting_review"]


def test_nothing_leaves_a_terminal_status() -> None:
    assert {S.RELEASED, S.REJECTED, S.CANCELLED} == TERMINAL
    for status, event in itertools.product(TERMINAL, BatchEvent):
        assert (status, event) not in ALLOWED
        with pytest.raises(TransitionNotAllowed):
            check_transition(status, event)


def test_every_status_but_the_start_is_reachable_and_every_event_is_in_the_table() -> None:
    assert set(TRANSITIONS) == set(BatchEvent)
    assert {t.target for t in TRANSITIONS.values()} == set(BatchStatus)
    assert all(t.needs for t in TRANSITIONS.values())


def test_who_causes_each_event() -> None:
    qa, supervision = frozenset({Role.QA}), frozenset({Role.SUPERVISOR, Role.QA})
    assert TRANSITIONS[E.HOLD].by == supervision
    assert TRANSITIONS[E.CANCEL].by == supervision
    for event in (E.RESUME, E.RESUME_TO_REVIEW, E.REOPEN, E.RELEASE, E.REJECT):
        assert TRANSITIONS[event].by == qa, event
    assert TRANSITIONS[E.FINISH].by == frozenset(), "the rules finish a batch, not a person"


def test_a_lifted_hold_resumes_work_or_review() -> None:
    assert resume_event(all_done=False) is E.RESUME
    assert resume_event(all_done=True) is E.RESUME_TO_REVIEW


def test_the_document_lists_exactly_these_transitions() -> None:
    doc = Path(__file__).resolve().parents[2] / "docs" / "batch-status.md"
    rows = re.findall(r"^\| `(\w+)` \| ([^|]+) \| `(\w+)` \|", doc.read_text("utf-8"), re.MULTILINE)
    documented = {
        (BatchStatus(source), BatchEvent(event)): BatchStatus(target)
        for event, sources, target in rows
        for source in re.findall(r"`(\w+)`", sources)
    }
    assert documented == ALLOWED
    diagram = set(re.findall(r"^    (\w+) --> (\w+): (\w+)", doc.read_text("utf-8"), re.MULTILINE))
    assert {(s.value, t.value, e.value) for (s, e), t in ALLOWED.items()} == diagram
