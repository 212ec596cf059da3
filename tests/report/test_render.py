"""The rendered report: what a reader sees, the PDF/A-3 form, the attachments, the draft mark."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from io import BytesIO

import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject

from ebr.report.render import render_pdf
from tests.report.conftest import ARTIFACTS, Report
from tests.report.site import COMMENT, REASON


def _text(pdf: bytes) -> str:
    reader = PdfReader(BytesIO(pdf))
    return " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)


def test_the_text_shows_values_names_meanings_and_corrections(report: Report) -> None:
    text = _text(report.signed)
    for expected in (
        "Batch record: Test mixture",
        "26.10",
        "OUT OF SPEC",
        "25.10",
        "24.5 to 25.5 kg",
        "Performed by Olga Okafor (olga)",
        "Verified by Omar Haddad (omar)",
        "Corrected by Olga Okafor (olga)",
        "Performed by Sam Lindqvist (sam)",
        "Net weight was 26.10 kg",
        "Granules slightly darker",
        "Summary of exceptions",
        "Appendix: audit trail",
        "station line-2",
        "Authored by Sam Lindqvist (sam)",
        "Reviewed by Rita",
        "Approved by Quinn",
    ):
        assert expected in text, expected
    squashed = re.sub(r"\s+", "", text)
    assert re.sub(r"\s+", "", REASON) in squashed and re.sub(r"\s+", "", COMMENT) in squashed


def test_every_page_has_the_header_and_page_x_of_y(report: Report) -> None:
    reader = PdfReader(BytesIO(report.signed))
    total = len(reader.pages)
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text() or ""
        assert "Batch B-C · In progress" in text
        assert f"Page {number} of {total}" in text


def test_pdf_a_3b_metadata_and_associated_files(report: Report) -> None:
    reader = PdfReader(BytesIO(report.signed))
    xmp = reader.xmp_metadata
    assert xmp is not None
    description = xmp.rdf_root.getElementsByTagNameNS(
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "Description"
    )
    attributes = {a.name: a.value for d in description for a in d.attributes.values()}
    assert attributes["pdfaid:part"] == "3" and attributes["pdfaid:conformance"] == "B"
    assert set(reader.attachments) == {"records.json", "audit.json", "certificates.pem"}
    catalog = reader.root_object
    af = catalog["/AF"].get_object()
    assert isinstance(af, ArrayObject)
    associated = [spec.get_object() for spec in af]
    # WeasyPrint lists each file spec twice in /AF (from /EmbeddedFiles and from its own scan).
    assert {str(spec["/F"]) for spec in associated} == {
        "audit.json",
        "certificates.pem",
        "records.json",
    }
    assert {str(spec["/AFRelationship"]) for spec in associated} == {"/Data"}
    assert "/OutputIntents" in catalog
    # PDF/A: the Info dictionary says what the XMP says, also after pyHanko signed.
    assert reader.metadata is not None and reader.metadata.producer == xmp.pdf_producer
    assert reader.metadata.title == "Batch record B-C"


def test_the_attachments_hold_the_signed_evidence(report: Report) -> None:
    files = PdfReader(BytesIO(report.signed)).attachments
    records = json.loads(files["records.json"][0])
    assert records["batch_id"] == "B-C" and len(records["records"]) == 7
    first = records["records"][0]
    assert {"payload", "signature", "key_id", "record_hash", "prev_hash"} <= set(first)
    assert first["prev_hash"] == "0" * 64
    audit = json.loads(files["audit.json"][0])
    assert len(audit["entries"]) == len(report.history.evidence_audit)
    assert files["certificates.pem"][0].count(b"BEGIN CERTIFICATE") == 4  # 3 users + CA


def test_a_draft_carries_the_watermark_and_a_released_batch_does_not(report: Report) -> None:
    assert "NOT RELEASED" in _text(report.unsigned)
    released = report.history.model_copy(update={"status": "released"})
    text = _text(render_pdf(released, ca_certificate=report.ca))
    assert "NOT RELEASED" not in text and "Batch B-C · Released" in text


def test_pages_render_to_png_for_a_person_to_look_at(report: Report) -> None:
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "report-B-C.pdf").write_bytes(report.signed)
    prefix = ARTIFACTS / "report-B-C"
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(prefix) + ".pdf", str(prefix)], check=True)
    assert sorted(ARTIFACTS.glob("report-B-C-*.png"))


def test_a_step_says_why_a_second_person_verifies_it_and_a_correction_awaits_one(
    report: Report,
) -> None:
    weigh = report.history.steps()[1]  # verify: true, its net weight critical; corrected last
    assert (weigh.verify, weigh.verify_reason) == (True, "critical input: Net weight")
    assert weigh.status == "awaiting verification", "verified before the correction: not since"
    squashed = re.sub(r"\s+", "", _text(report.signed))
    shown = "record,verifiedbyasecondperson(criticalinput:Netweight)·awaitingverification"
    assert shown in squashed
