"""The report of a batch with deviations, holds, a breach and signed decisions (batch B-D)."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from io import BytesIO

import pytest
from pypdf import PdfReader

from ebr.domain.meanings import Meaning
from ebr.domain.subjects import ChainKind, SubjectKind
from ebr.report.decisions import PLACES
from ebr.report.history import SECTIONS, BatchHistory
from ebr.report.verify_pdf import PdfRefused, verify_report_pdf
from tests.report.conftest import ARTIFACTS, Report
from tests.report.decided import (
    BREACH_TEXT,
    CAPA,
    DEVIATION,
    DISPOSITION_REASON,
    HOLD_REASON,
    LIFT_REASON,
    PERSON_HOLD,
    RELEASE_REASON,
    REVIEW_COMMENT,
    ROOT_CAUSE,
)


def _pdftotext(pdf: bytes) -> str:
    """The text as poppler extracts it (another reader than the one verify-pdf uses), or as
    pypdf does where poppler-utils is not installed."""
    if shutil.which("pdftotext") is None:
        reader = PdfReader(BytesIO(pdf))
        return " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)
    done = subprocess.run(
        ["pdftotext", "-raw", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return " ".join(done.stdout.decode("utf-8").split())


def _squashed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_the_history_carries_the_sections_and_the_decision(decided: Report) -> None:
    history = decided.history
    assert history.status == "released" and history.final
    assert history.decision is not None and history.decision.meaning is Meaning.RELEASED
    assert (
        history.decision.full_name == "Quinn Moreau" and history.decision_reason == RELEASE_REASON
    )
    (deviation,) = history.deviations
    assert deviation.deviation_id == DEVIATION
    assert [line.title for line in deviation.lines] == [
        "Opened", "Investigated", "Classified", "Disposition", "CAPA"
    ]  # fmt: skip
    assert deviation.decision is not None and deviation.decision.reason == DISPOSITION_REASON
    assert deviation.decision.detail == {"decision": "accept", "rework_steps": [], "capa_ref": CAPA}
    rules, person = history.holds
    assert rules.deviation_id == DEVIATION and rules.decision is None
    assert person.hold_id == PERSON_HOLD and person.duration == "2 h 5 min"
    assert person.decision is not None and person.decision.reason == LIFT_REASON
    assert person.placed_by == "Sam Lindqvist (sam)" and person.lifted_by == "Quinn Moreau (quinn)"
    (breach,) = history.timer_events
    assert BREACH_TEXT in breach.detail and breach.title == "max duration: 4. Mixer"
    reviewed = [r for r in history.reviews if r.reviewed_by]
    assert [r.exception_id for r in reviewed] == [f"deviation:{DEVIATION}"]


def test_every_kind_of_decision_in_a_batch_s_chain_has_its_place() -> None:
    decided_in_batches = {
        kind for kind in SubjectKind if kind.is_decision and kind.chain_kind is ChainKind.BATCH
    }
    assert set(PLACES) == decided_in_batches
    assert {place.section for place in PLACES.values()} <= set(SECTIONS)


def test_decisions_are_not_steps_but_stay_in_the_evidence(decided: Report) -> None:
    history = decided.history
    shown = {r.record_id for s in history.steps() for r in s.records}
    attached = {r["record_id"]: SubjectKind(r["subject_kind"]) for r in history.evidence_records}
    decisions = {r for r, kind in attached.items() if kind is not SubjectKind.BATCH_STEP}
    assert decisions == {
        f"B-D/deviation:{DEVIATION}/approved",
        f"B-D/hold:{PERSON_HOLD}/approved",
        "B-D/batch:B-D/released",
    }
    assert not decisions & shown and set(attached) == shown | decisions


def test_the_text_shows_decisions_deviations_holds_and_breaches(decided: Report) -> None:
    text = _pdftotext(decided.signed)
    cover = text.split("Summary of exceptions")[0]
    assert "Released by Quinn Moreau (quinn)" in cover and "Batch B-D · Released" in cover
    assert _squashed(RELEASE_REASON) in _squashed(cover)
    squashed = _squashed(text)
    for expected in (
        "Deviations and their dispositions",
        f"Deviation {DEVIATION} · major · closed · critical parameter",
        ROOT_CAUSE,
        "Accept: Re-weighed within limits",
        f"Decision: accept. Reason: {DISPOSITION_REASON}",
        f"Signed disposition of {DEVIATION}: Approved by Quinn Moreau (quinn)",
        CAPA,
        "Holds placed on the batch",
        f"{PERSON_HOLD}: Awaiting the",
        f"on hold by sam, 125 min: {HOLD_REASON}",
        f"Signed lift of {PERSON_HOLD}: Approved by Quinn Moreau (quinn)",
        "2 h 5 min",
        "Timer events",
        BREACH_TEXT,
        "marked reviewed by QA",
        REVIEW_COMMENT,
        "ebr (by the rules)",
    ):
        assert _squashed(expected) in squashed, expected
    assert "NOT RELEASED" not in text


def test_a_sealed_report_with_decisions_verifies(decided: Report) -> None:
    result = verify_report_pdf(decided.signed, decided.ca)
    assert result.batch_number == "B-D" and result.records_signed == 8 and result.decisions == 3


def _without_disposition(history: BatchHistory) -> BatchHistory:
    (deviation,) = history.deviations
    return history.model_copy(
        update={"deviations": (deviation.model_copy(update={"decision": None}),)}
    )


def _without_lift(history: BatchHistory) -> BatchHistory:
    rules, person = history.holds
    return history.model_copy(
        update={"holds": (rules, person.model_copy(update={"decision": None}))}
    )


def _without_release(history: BatchHistory) -> BatchHistory:
    return history.model_copy(update={"decision": None, "decision_reason": None})


@pytest.mark.parametrize(
    ("hide", "record_id", "shown", "section"),
    [
        (
            _without_disposition,
            f"B-D/deviation:{DEVIATION}/approved",
            f"Signed disposition of {DEVIATION}: Approved by Quinn Moreau (quinn)",
            "Deviations and their dispositions",
        ),
        (
            _without_lift,
            f"B-D/hold:{PERSON_HOLD}/approved",
            f"Signed lift of {PERSON_HOLD}: Approved by Quinn Moreau (quinn)",
            "Holds placed on the batch",
        ),
        (
            _without_release,
            "B-D/batch:B-D/released",
            "Released by Quinn Moreau (quinn)",
            "Batch record:",
        ),
    ],
    ids=["disposition", "lift", "release"],
)
def test_a_decision_missing_from_its_section_fails_verify_pdf(
    decided: Report,
    hide: Callable[[BatchHistory], BatchHistory],
    record_id: str,
    shown: str,
    section: str,
) -> None:
    """The same evidence under a report that shows a decision without its signature."""
    from ebr.report.render import render_pdf

    forged = decided.seal(render_pdf(hide(decided.history), ca_certificate=decided.ca))
    with pytest.raises(PdfRefused) as caught:
        verify_report_pdf(forged, decided.ca)
    assert caught.value.stage == "visible content"
    assert caught.value.reason == (
        f"record {record_id}: '{shown}' is not shown in the '{section}' section"
    )


def test_a_release_reason_changed_on_the_cover_fails_verify_pdf(decided: Report) -> None:
    from ebr.report.render import render_pdf

    changed = decided.history.model_copy(update={"decision_reason": "Looks fine"})
    forged = decided.seal(render_pdf(changed, ca_certificate=decided.ca))
    with pytest.raises(PdfRefused, match=f"its reason '{RELEASE_REASON}' is not shown"):
        verify_report_pdf(forged, decided.ca)


def test_pages_of_the_decided_batch_render_to_png(decided: Report) -> None:
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "report-B-D.pdf").write_bytes(decided.signed)
    prefix = ARTIFACTS / "report-B-D"
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(prefix) + ".pdf", str(prefix)], check=True)
    assert sorted(ARTIFACTS.glob("report-B-D-*.png"))
    assert len(PdfReader(BytesIO(decided.signed)).pages) >= 3


def test_a_decision_whose_subject_the_audit_log_lacks_is_still_shown(decided: Report) -> None:
    """Sections built without the audit's deviations and holds keep the signed decisions."""
    from sqlmodel import Session

    from ebr.report.decisions import decisions_of
    from ebr.report.events import deviation_sections, hold_sections
    from ebr.report.render import render_pdf
    from ebr.store.signed_records import list_batch_records, record_of

    with Session(decided.site.engine) as session:
        rows = list_batch_records(session=session, batch_id="B-D")
    decisions = decisions_of(record_of(row) for row in rows)
    (orphan,) = deviation_sections([], decisions, names={}, steps={})
    assert orphan.title == f"{DEVIATION} · not found in the audit trail" and orphan.decision
    (lift,) = hold_sections([], decisions, names={}, now=decided.history.created_at)
    assert (lift.hold_id, lift.reason) == (PERSON_HOLD, "not found in the audit trail")
    bare = decided.history.model_copy(update={"deviations": (orphan,), "holds": (lift,)})
    sealed = decided.seal(render_pdf(bare, ca_certificate=decided.ca))
    assert verify_report_pdf(sealed, decided.ca).records_signed == 8
