"""Review by exception: exactly the exceptions listed, with stable ids, and QA's marks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ebr.domain.deviations import Deviation, Origin
from ebr.domain.holds import Hold
from ebr.domain.meanings import Meaning
from ebr.domain.refusals import AlreadyReviewed, RefusalKind, RoleNotAllowed, UnknownException
from ebr.domain.review import (
    LATE_VERIFICATION_MINUTES,
    ExceptionKind,
    ExceptionReport,
    ReviewMark,
    check_mark_reviewed,
    exception_report,
    unreviewed,
)
from ebr.domain.signed_records import SignedRecord
from ebr.domain.timing import Deadline, TimerBreach, TimerKind
from ebr.domain.values import RecordedValue
from tests.domain.builders import QA, SUPERVISOR, T0, step_record

B = "B-0001"


def _at(minutes: float) -> timedelta:
    return timedelta(minutes=minutes)


def _rec(
    step_id: str,
    meaning: Meaning,
    minute: float,
    *,
    seq: int = 1,
    execution: int = 1,
    values: tuple[RecordedValue, ...] = (),
    comment: str | None = None,
    user: str = "olga",
) -> SignedRecord:
    return step_record(
        B,
        step_id,
        meaning,
        T0 + _at(minute),
        seq=seq,
        execution=execution,
        values=values,
        comment=comment,
        user=user,
    )


def _mass(value: str, in_spec: bool) -> RecordedValue:
    return RecordedValue(
        name="mass", type="number", value=value, unit="kg", in_spec=in_spec, critical=True
    )


CLEAN = [
    _rec("line-clearance", Meaning.PERFORMED, 1),
    _rec("line-clearance", Meaning.VERIFIED, 2, seq=2, user="omar"),
    _rec("weigh-api", Meaning.PERFORMED, 3, seq=3, values=(_mass("10.01", True),)),
    _rec("weigh-api", Meaning.VERIFIED, 3 + LATE_VERIFICATION_MINUTES, seq=4, user="sam"),
]


def test_a_batch_without_exceptions_says_so() -> None:
    report = exception_report(CLEAN)
    assert report.none
    assert report.exceptions == ()
    assert report.summary() == "The batch's execution had no exception."
    assert exception_report([]).none


def test_every_kind_of_exception_is_listed_exactly_once_in_time_order() -> None:
    records = [
        *CLEAN[:2],
        _rec(
            "weigh-api",
            Meaning.PERFORMED,
            3,
            seq=3,
            values=(_mass("10.10", False),),
            comment="scoop slipped",
        ),
        _rec("weigh-api", Meaning.VERIFIED, 3 + LATE_VERIFICATION_MINUTES + 1, seq=4, user="sam"),
        _rec("close-lid", Meaning.PERFORMED, 70, seq=5, comment="lid gasket worn"),
        _rec(
            "weigh-api",
            Meaning.CORRECTED,
            80,
            seq=6,
            values=(_mass("10.01", True),),
            user="sam",
        ),
    ]
    dev = Deviation(
        id=f"{B}-DEV-001",
        batch_id=B,
        opened_at=T0 + _at(3),
        opened_by="olga",
        origin=Origin.OUT_OF_LIMIT,
        description="Net mass 10.10 kg out of limits",
        step_id="weigh-api",
        execution=1,
        critical=True,
    )
    hold = Hold(
        hold_id="H-1",
        batch_id=B,
        placed_at=T0 + _at(3),
        placed_by="ebr",
        reason="deviation",
        deviation_id=dev.id,
        lifted_at=T0 + _at(33),
        lifted_by="quinn",
        lift_reason="classified minor",
    )
    deadline = Deadline(
        timer_id="max_duration:mix:1",
        kind=TimerKind.MAX_DURATION,
        step_id="mix",
        execution=1,
        due_at=T0 + _at(100),
        minutes=30,
        description="step 'mix' was not completed within its maximum duration of 30 minutes",
    )
    report = exception_report(
        records, [dev], [hold], [TimerBreach(deadline=deadline, at=T0 + _at(100))]
    )
    assert [(e.kind, e.id) for e in report.exceptions] == [
        (ExceptionKind.DEVIATION, "deviation:B-0001-DEV-001"),
        (ExceptionKind.HOLD, "hold:H-1"),
        (ExceptionKind.OUT_OF_LIMIT, "out_of_limit:B-0001/weigh-api/1/performed:mass"),
        (ExceptionKind.LATE_VERIFICATION, "late_verification:B-0001/weigh-api/1/verified"),
        (ExceptionKind.COMMENT, "comment:B-0001/close-lid/1/performed"),
        (ExceptionKind.CORRECTION, "correction:B-0001/weigh-api/1/corrected/6"),
        (ExceptionKind.TIMER_BREACH, "timer_breach:max_duration:mix:1"),
    ]
    by_kind = {e.kind: e for e in report.exceptions}
    out = by_kind[ExceptionKind.OUT_OF_LIMIT]
    assert out.summary == (
        "mass = 10.10 kg out of limits at step 'weigh-api', by olga (comment: scoop slipped)"
    )
    assert (out.step_id, out.execution, out.at) == ("weigh-api", 1, T0 + _at(3))
    assert by_kind[ExceptionKind.HOLD].summary == (
        "on hold by ebr, 30 min: deviation (lifted "
        f"{(T0 + _at(33)).isoformat()} by quinn: classified minor)"
    )
    assert by_kind[ExceptionKind.LATE_VERIFICATION].summary == (
        "step 'weigh-api' verified by sam 61 min after its completion"
    )
    assert by_kind[ExceptionKind.DEVIATION].summary == (
        "deviation B-0001-DEV-001 (out_of_limit, open): Net mass 10.10 kg out of limits"
    )
    assert not report.none
    assert report.summary() == "7 exception(s) to review."
    assert (
        exception_report(records, [dev], [hold], [TimerBreach(deadline=deadline, at=T0 + _at(100))])
        == report
    ), "the same record gives the same ids"


def test_an_active_hold_is_listed_as_still_active() -> None:
    hold = Hold(hold_id="H-2", batch_id=B, placed_at=T0, placed_by="sam", reason="audit")
    (found,) = exception_report([], holds=[hold]).exceptions
    assert found.summary == "on hold by sam: audit (still active)"


@pytest.mark.parametrize(("minutes", "late"), [(10, False), (10.02, True)])
def test_late_means_more_than_n_minutes_after_the_completion(minutes: float, late: bool) -> None:
    records = [
        _rec("mix", Meaning.PERFORMED, 0),
        _rec("mix", Meaning.VERIFIED, minutes, seq=2, user="sam"),
    ]
    report = exception_report(records, late_after_minutes=10)
    assert [e.kind for e in report.exceptions] == (
        [ExceptionKind.LATE_VERIFICATION] if late else []
    )


def test_each_execution_is_paired_with_its_own_completion() -> None:
    records = [
        _rec("mix", Meaning.PERFORMED, 0),
        _rec("mix", Meaning.PERFORMED, 200, seq=2, execution=2),
        _rec("mix", Meaning.VERIFIED, 205, seq=3, execution=2, user="sam"),
    ]
    assert exception_report(records).none


def test_a_blank_comment_is_not_an_exception() -> None:
    assert exception_report([_rec("mix", Meaning.PERFORMED, 0, comment="  ")]).none


# marks ------------------------------------------------------------------------------------------


def _report() -> ExceptionReport:
    return exception_report([_rec("mix", Meaning.PERFORMED, 0, comment="noisy")])


def test_qa_marks_an_exception_reviewed_once() -> None:
    report = _report()
    (only,) = report.exceptions
    assert check_mark_reviewed(report, [], actor=QA, exception_id=only.id) == only
    mark = ReviewMark(exception_id=only.id, by="quinn", at=T0, comment="fine")
    assert unreviewed(report, []) == [only]
    assert unreviewed(report, [mark]) == []
    with pytest.raises(AlreadyReviewed) as caught:
        check_mark_reviewed(report, [mark], actor=QA, exception_id=only.id)
    assert caught.value.details == {"exception_id": only.id, "reviewed_by": "quinn"}
    assert caught.value.kind is RefusalKind.CONFLICT


def test_only_qa_marks_and_only_listed_exceptions() -> None:
    report = _report()
    with pytest.raises(RoleNotAllowed) as caught:
        check_mark_reviewed(report, [], actor=SUPERVISOR, exception_id=report.exceptions[0].id)
    assert caught.value.details == {"allowed_roles": ["qa"]}
    with pytest.raises(UnknownException) as unknown:
        check_mark_reviewed(report, [], actor=QA, exception_id="comment:nope")
    assert unknown.value.details == {"exception_id": "comment:nope"}
    assert unknown.value.kind is RefusalKind.NOT_FOUND
