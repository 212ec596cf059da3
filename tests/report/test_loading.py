"""load_history: the facts the report shows, read from a store of really signed records."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from ebr.domain.meanings import Meaning
from ebr.report.history import BatchHistory
from ebr.report.loading import load_history
from ebr.store.errors import NotFound
from tests.report.conftest import Report, history_of
from tests.report.site import COMMENT, REASON, ReportSite
from tests.verification.site import DISPOSITION


def test_cover_facts(report: Report) -> None:
    history = report.history
    assert (history.batch_number, history.product_code, history.product_name) == (
        "B-C",
        "MIX-1",
        "Test mixture",
    )
    assert (history.recipe_code, history.recipe_version) == ("TEST-MIX", 1)
    assert history.recipe_hash == report.site.site.recipe_hash
    assert history.planned_quantity == "100 kg"
    assert history.status == "in_progress" and not history.final
    assert history.actual_quantity is None and history.decision is None


def test_cover_names_the_master_recipes_author_reviewer_and_approver(report: Report) -> None:
    signatures = report.history.recipe_signatures
    assert [(s.meaning, s.user_id) for s in signatures] == [
        (Meaning.AUTHORED, "sam"),
        (Meaning.REVIEWED, "rita"),
        (Meaning.APPROVED, "quinn"),
    ]
    assert report.history.recipe_effective_from == signatures[-1].at


def test_steps_in_recipe_order_with_their_records(report: Report) -> None:
    steps = report.history.steps()
    assert [s.step_id for s in steps] == ["read-sop", "weigh-api", "clean-check", "mixer", "note"]
    assert [s.position for s in steps] == [1, 2, 3, 4, 5]
    weigh = steps[1]
    meanings = [r.manifestation.meaning for r in weigh.records]
    assert meanings == [Meaning.PERFORMED, Meaning.VERIFIED, Meaning.CORRECTED]
    performed, verified, corrected = weigh.records
    assert performed.values[0].display == "26.10" and performed.values[0].out_of_spec
    assert performed.values[0].limits == "24.5 to 25.5 kg" and performed.values[0].unit == "kg"
    assert verified.manifestation.full_name == "Omar Haddad"
    assert verified.manifestation.user_id == "omar" and verified.manifestation.station == "line-2"
    assert [v.display for v in corrected.original] == ["26.10"]
    assert [v.display for v in corrected.values] == ["25.10"]
    assert corrected.reason == REASON and corrected.corrects == "B-C/weigh-api/1/performed"
    assert steps[0].records[0].comment == COMMENT
    assert steps[2].records[0].values[0].display == "Yes"
    assert all(len(r.record_hash) == 64 for s in steps for r in s.records)


def test_exceptions_summary(report: Report) -> None:
    kinds = [(e.kind, e.position) for e in report.history.exceptions]
    assert kinds == [("comment", 1), ("out of specification", 2), ("correction", 2)]
    correction = report.history.exceptions[2].text
    assert "26.10 kg" in correction and "25.10 kg" in correction and REASON in correction


def test_audit_and_evidence(report: Report) -> None:
    history = report.history
    assert len(history.evidence_records) == 7
    assert {line.entity_id for line in history.audit} >= {
        r["record_id"] for r in history.evidence_records
    }
    assert all(r["signature"] and r["payload"] for r in history.evidence_records)
    assert history.certificates_pem.count("BEGIN CERTIFICATE") == 3  # olga, omar, sam


def test_optional_sections_are_empty_until_their_sources_exist(report: Report) -> None:
    history = report.history
    assert history.deviations == () and history.holds == ()
    assert [r.kind for r in history.reviews] == ["comment", "out of limit", "correction"]
    assert not any(r.reviewed_by for r in history.reviews)
    assert history.timer_events == history.materials == ()
    assert history.decision is None and history.decision_reason is None


def test_decisions_are_placed_by_their_subject_even_when_the_audit_log_lacks_it(
    report_site: ReportSite,
) -> None:
    """B-A's chain holds QA's dispositions and lifts, but no deviation or hold was audited."""
    history: BatchHistory = history_of(report_site, "B-A")
    assert history.decision is not None and history.decision.meaning is Meaning.RELEASED
    assert history.decision.user_id == "rita"
    assert history.decision_reason == "all exceptions reviewed"
    assert [(d.deviation_id, d.title) for d in history.deviations] == [
        ("B-A-DEV-1", "B-A-DEV-1 · not found in the audit trail"),
        ("B-A-DEV-2", "B-A-DEV-2 · not found in the audit trail"),
    ]
    assert all(d.decision and d.decision.detail == DISPOSITION for d in history.deviations)
    assert [(h.hold_id, h.reason) for h in history.holds] == [
        ("B-A-H1", "not found in the audit trail"),
        ("B-A-H2", "not found in the audit trail"),
    ]
    assert [h.decision.reason for h in history.holds if h.decision] == [
        "deviation closed",
        "mixer serviced",
    ]
    shown = {r.record_id for s in history.steps() for r in s.records}
    assert len(shown) == 6 and len(history.evidence_records) == 11


def test_unknown_batch(report_site: ReportSite) -> None:
    with Session(report_site.engine) as session, pytest.raises(NotFound):
        load_history(session=session, batch_id="nope")
