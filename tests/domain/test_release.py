"""Release and rejection: everything missing listed at once, and segregation of duties."""

from __future__ import annotations

import pytest

from ebr.domain.batch import Actor, BatchState, BatchStatus
from ebr.domain.deviation_decisions import Decision, Disposition
from ebr.domain.deviations import Deviation, Origin, Stage
from ebr.domain.execution import apply_complete, apply_verify
from ebr.domain.holds import Hold
from ebr.domain.meanings import Meaning
from ebr.domain.refusals import (
    ReasonRequired,
    RefusalKind,
    ReleaseBlocked,
    RoleNotAllowed,
    SegregationOfDuties,
    TransitionNotAllowed,
)
from ebr.domain.release import (
    apply_reject,
    apply_release,
    check_reject,
    check_release,
    executors,
    missing_for_release,
)
from ebr.domain.review import ExceptionReport, ReviewMark, exception_report
from ebr.domain.roles import Role
from ebr.domain.signed_records import SignedRecord
from ebr.domain.status import apply_reopen
from tests.domain.builders import (
    OPERATOR,
    OPERATOR_2,
    QA,
    SUPERVISOR,
    SUPERVISOR_2,
    T0,
    mini_recipe,
    start_batch,
    step_record,
)

QA_2 = Actor(user_id="qiu", full_name="Qiu QA", roles=(Role.QA,), station="qa-office")
QA_PERFORMER = QA  # quinn performs the mini recipe's QA step


def _finished() -> BatchState:
    recipe = mini_recipe()
    state = start_batch(recipe)
    verifier = {
        "line-clearance": OPERATOR_2,
        "weigh-api": SUPERVISOR,
        "supervisor-check": SUPERVISOR_2,
    }
    performer = {"supervisor-check": SUPERVISOR, "qa-release": QA_PERFORMER}
    for step in recipe.steps():
        apply_complete(
            state, recipe, step_id=step.id, actor=performer.get(step.id, OPERATOR), at=T0
        )
        if step.verify:
            apply_verify(state, recipe, step_id=step.id, actor=verifier[step.id], at=T0)
    return state


def _dev(stage: Stage = Stage.OPEN) -> Deviation:
    dev = Deviation(
        id="B-0001-DEV-001",
        batch_id="B-0001",
        opened_at=T0,
        opened_by="olga",
        origin=Origin.MANUAL,
        description="spill",
    )
    if stage is Stage.CLOSED:
        ruling = Disposition(decision=Decision.ACCEPT, reason="cleaned", by="quinn", at=T0)
        dev = dev.model_copy(update={"stage": Stage.CLOSED, "disposition": ruling})
    return dev


def _commented() -> tuple[list[SignedRecord], ExceptionReport]:
    record = step_record("B-0001", "mix", Meaning.PERFORMED, T0, comment="noisy")
    return [record], exception_report([record])


def _release(
    state: BatchState,
    actor: Actor = QA_2,
    *,
    records: list[SignedRecord] | None = None,
    deviations: list[Deviation] | None = None,
    holds: list[Hold] | None = None,
    report: ExceptionReport | None = None,
    marks: list[ReviewMark] | None = None,
) -> None:
    check_release(
        state,
        actor=actor,
        records=records or [],
        deviations=deviations or [],
        holds=holds or [],
        report=report or ExceptionReport(),
        marks=marks or [],
    )


def test_a_complete_batch_without_exceptions_is_released_by_an_uninvolved_qa() -> None:
    state = _finished()
    assert state.status is BatchStatus.AWAITING_REVIEW
    _release(state)
    assert apply_release(state) is BatchStatus.RELEASED
    assert state.model_dump()["status"] == "released"


def test_release_with_an_open_deviation_is_blocked() -> None:
    state = _finished()
    with pytest.raises(ReleaseBlocked) as caught:
        _release(state, deviations=[_dev()])
    error = caught.value
    assert (error.code, error.kind) == ("release_blocked", RefusalKind.CONFLICT)
    assert error.details == {
        "missing": [{"kind": "deviation_open", "deviation_id": "B-0001-DEV-001", "stage": "open"}]
    }
    assert error.message == "batch B-0001 cannot be released yet: 1 open deviation(s)"
    _release(state, deviations=[_dev(Stage.CLOSED)])


def test_release_lists_everything_missing_at_once() -> None:
    recipe = mini_recipe()
    state = start_batch(recipe)
    apply_complete(state, recipe, step_id="line-clearance", actor=OPERATOR, at=T0)
    state.status = BatchStatus.ON_HOLD
    hold = Hold(hold_id="H-1", batch_id="B-0001", placed_at=T0, placed_by="sam", reason="audit")
    records, report = _commented()
    with pytest.raises(ReleaseBlocked) as caught:
        _release(state, records=records, deviations=[_dev()], holds=[hold], report=report)
    missing = caught.value.details["missing"]
    assert missing[0] == {
        "kind": "step_not_done",
        "step_id": "line-clearance",
        "status": "awaiting_verification",
    }
    assert [m["step_id"] for m in missing if m["kind"] == "step_not_done"] == [
        s.id for s in recipe.steps()
    ]
    assert missing[-3:] == [
        {"kind": "hold_active", "hold_id": "H-1"},
        {"kind": "deviation_open", "deviation_id": "B-0001-DEV-001", "stage": "open"},
        {
            "kind": "exception_unreviewed",
            "exception_id": "comment:B-0001/mix/1/performed",
            "exception_kind": "comment",
        },
    ]
    assert caught.value.message == (
        "batch B-0001 cannot be released yet: 6 step(s) not done, 1 active hold(s), "
        "1 open deviation(s), 1 exception(s) not reviewed"
    )


def test_every_exception_must_be_reviewed() -> None:
    state = _finished()
    records, report = _commented()
    with pytest.raises(ReleaseBlocked):
        _release(state, records=records, report=report)
    mark = ReviewMark(exception_id=report.exceptions[0].id, by="qiu", at=T0)
    _release(state, records=records, report=report, marks=[mark])
    assert missing_for_release(state, deviations=[], holds=[], report=report, marks=[mark]) == []


@pytest.mark.parametrize(
    "who",
    [
        QA_PERFORMER,  # performed the QA step
        Actor(user_id="sam", full_name="Sam", roles=(Role.SUPERVISOR, Role.QA)),  # verified
        Actor(user_id="omar", full_name="Omar", roles=(Role.OPERATOR, Role.QA)),  # verified
    ],
)
def test_a_performer_or_verifier_may_not_release(who: Actor) -> None:
    state = _finished()
    with pytest.raises(SegregationOfDuties) as caught:
        _release(state, who)
    error = caught.value
    assert (error.code, error.kind) == ("segregation_of_duties", RefusalKind.FORBIDDEN)
    assert error.details == {"user_id": who.user_id}


def test_a_performer_of_an_earlier_execution_may_not_release_either() -> None:
    state = _finished()
    first = step_record("B-0001", "mix", Meaning.PERFORMED, T0, user="qiu")
    assert "qiu" not in executors(state, [])
    assert "qiu" in executors(state, [first])
    with pytest.raises(SegregationOfDuties):
        _release(state, records=[first])


def test_segregation_is_checked_before_what_is_missing() -> None:
    with pytest.raises(SegregationOfDuties):
        _release(_finished(), QA_PERFORMER, deviations=[_dev()])


def test_only_qa_releases() -> None:
    with pytest.raises(RoleNotAllowed) as caught:
        _release(_finished(), SUPERVISOR_2)
    assert caught.value.details == {"allowed_roles": ["qa"]}


@pytest.mark.parametrize(
    "status", [BatchStatus.RELEASED, BatchStatus.REJECTED, BatchStatus.CANCELLED]
)
def test_a_decided_batch_is_not_released_again(status: BatchStatus) -> None:
    state = _finished()
    state.status = status
    with pytest.raises(TransitionNotAllowed) as caught:
        _release(state)
    assert caught.value.details["event"] == "release"


def test_a_reworked_batch_is_not_released_until_the_steps_are_done_again() -> None:
    state = _finished()
    apply_reopen(state, ["mix"])
    with pytest.raises(ReleaseBlocked) as caught:
        _release(state)
    assert caught.value.details["missing"] == [
        {"kind": "step_not_done", "step_id": "mix", "status": "pending"}
    ]


# rejection --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status", [BatchStatus.IN_PROGRESS, BatchStatus.ON_HOLD, BatchStatus.AWAITING_REVIEW]
)
def test_qa_rejects_with_a_reason(status: BatchStatus) -> None:
    state = _finished()
    state.status = status
    check_reject(state, actor=QA_PERFORMER, reason="foreign particles in the blend")
    assert apply_reject(state) is BatchStatus.REJECTED
    assert state.model_dump()["status"] == "rejected"


@pytest.mark.parametrize("reason", [None, "", "  "])
def test_a_rejection_needs_a_reason(reason: str | None) -> None:
    with pytest.raises(ReasonRequired) as caught:
        check_reject(_finished(), actor=QA, reason=reason)
    assert caught.value.details == {"field": "reason"}


def test_only_qa_rejects_and_only_an_undecided_batch() -> None:
    state = _finished()
    with pytest.raises(RoleNotAllowed):
        check_reject(state, actor=SUPERVISOR, reason="bad")
    state.status = BatchStatus.RELEASED
    with pytest.raises(TransitionNotAllowed):
        check_reject(state, actor=QA, reason="bad")
