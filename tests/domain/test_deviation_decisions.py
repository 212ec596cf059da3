"""QA's signed classification of a deviation: a reason always, the class the rules gave it, a
class below it as an exception of the review; and the batch's decisions never undone by a change
its deviation's workflow made without knowing of them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ebr.domain.deviation_decisions import (
    Classification,
    ClassificationDetail,
    Decision,
    Disposition,
    below_rules,
    rules_class,
)
from ebr.domain.deviations import (
    Deviation,
    Origin,
    Stage,
    apply_capa,
    apply_classify,
    apply_disposition,
    apply_investigate,
    check_classify,
    with_decisions,
)
from ebr.domain.refusals import PayloadMismatch, ReasonRequired
from ebr.domain.review import ExceptionKind, report_of
from tests.domain.builders import QA, T0
from tests.domain.test_deviations import _found

MINOR, MAJOR, CRITICAL = Classification.MINOR, Classification.MAJOR, Classification.CRITICAL


def investigated(*, critical: bool) -> Deviation:
    opened = Deviation(
        id="B-0001-DEV-001",
        batch_id="B-0001",
        opened_at=T0,
        opened_by="ebr",
        origin=Origin.OUT_OF_LIMIT,
        description="mass = 10.2 kg out of limits",
        step_id="weigh-api",
        execution=1,
        critical=critical,
    )
    return apply_investigate(opened, _found("weigh-api"))


def test_the_rules_class_a_critical_parameters_deviation_critical() -> None:
    assert rules_class(critical=True) is CRITICAL and rules_class(critical=False) is None
    assert [c.rank for c in Classification] == [0, 1, 2]
    assert below_rules(MINOR, CRITICAL) and below_rules(MAJOR, CRITICAL)
    assert not below_rules(CRITICAL, CRITICAL) and not below_rules(MINOR, None)
    assert investigated(critical=True).rules_class is CRITICAL


@pytest.mark.parametrize("critical", [True, False])
def test_every_classification_needs_a_reason(critical: bool) -> None:
    dev = investigated(critical=critical)
    for reason in (None, "", "  "):
        with pytest.raises(ReasonRequired) as refused:
            check_classify(dev, actor=QA, classification=MINOR, reason=reason)
        assert refused.value.details["field"] == "reason"
    words = refused.value.message
    if critical:
        assert words == (
            "classifying deviation B-0001-DEV-001 needs a reason: minor is below the class the "
            "rules gave it (critical)"
        )
        assert refused.value.details["rules_class"] == "critical"
    else:
        assert words == "classifying deviation B-0001-DEV-001 needs a reason"
    check_classify(dev, actor=QA, classification=MINOR, reason="re-weighed, in limits")


def test_a_classification_below_the_rules_class_is_an_exception_of_the_review() -> None:
    at = T0 + timedelta(hours=1)
    below = apply_classify(
        investigated(critical=True), actor=QA, classification=MAJOR, reason="contained", at=at
    )
    assert below.below_rules and below.classification_reason == "contained"
    found = report_of([], [below]).exceptions
    assert [(e.kind, e.id) for e in found] == [
        (ExceptionKind.DEVIATION, "deviation:B-0001-DEV-001"),
        (ExceptionKind.CLASSIFICATION, "classification:B-0001-DEV-001"),
    ]
    assert found[1].at == at and found[1].summary == (
        "deviation B-0001-DEV-001 classified major by quinn, below the class the rules gave it "
        "(critical): contained"
    )
    for fine in (
        apply_classify(investigated(critical=True), actor=QA, classification=CRITICAL,
                       reason="as the rules say", at=at),
        apply_classify(investigated(critical=False), actor=QA, classification=MINOR,
                       reason="no impact", at=at),
    ):  # fmt: skip
        assert not fine.below_rules
        assert [e.kind for e in report_of([], [fine]).exceptions] == [ExceptionKind.DEVIATION]


def test_a_classifications_signed_detail_names_its_class() -> None:
    assert ClassificationDetail.of({"classification": "minor"}).classification is MINOR
    assert ClassificationDetail(classification=MAJOR).detail() == {"classification": "major"}
    for bad in (None, {}, {"classification": "trivial"}, {"decision": "accept"}):
        with pytest.raises(PayloadMismatch):
            ClassificationDetail.of(bad)


def test_a_change_made_without_knowing_of_a_decision_does_not_undo_it() -> None:
    before = investigated(critical=True)
    classified = apply_classify(before, actor=QA, classification=MINOR, reason="ok", at=T0)
    with_capa = apply_capa(before, capa_ref="CAPA-7")  # the deviation's workflow, meanwhile
    merged = with_decisions(with_capa, classified)
    assert (merged.stage, merged.classification, merged.classification_reason) == (
        Stage.CLASSIFIED,
        MINOR,
        "ok",
    )
    assert merged.capa_ref == "CAPA-7"
    ruling = Disposition(decision=Decision.ACCEPT, reason="fine", by="quinn", at=T0)
    closed = apply_disposition(classified, ruling)
    late = with_decisions(with_capa, closed)
    assert (late.stage, late.disposition, late.capa_ref) == (Stage.CLOSED, ruling, "CAPA-7")
    # and a version that knows the decisions is kept as it is
    assert with_decisions(closed, before) == closed
