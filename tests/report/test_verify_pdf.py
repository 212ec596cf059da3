"""verify-pdf: a sealed report verifies; each forgery fails at its stage with a precise reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from ebr.report.commands import verify_pdf
from ebr.report.history import BatchHistory
from ebr.report.render import attachments_of, render_pdf
from ebr.report.verify_pdf import PdfRefused, verify_report_pdf
from signatures.ca import certificate_pem
from signatures.canonical import canonical_json, sha256_hex
from tests.report.conftest import Report, Rogue

SIGNER = "CN=Verification Test Site document signing,O=Verification Test Site"
WEIGHED = "B-C/weigh-api/1/performed"


def _refused(report: Report, pdf: bytes) -> tuple[str, str]:
    with pytest.raises(PdfRefused) as caught:
        verify_report_pdf(pdf, report.ca)
    return caught.value.stage, caught.value.reason


def _forged_records(report: Report) -> dict[str, bytes]:
    """The attachments with the weighing's value changed in the payload and its columns."""
    records: list[dict[str, Any]] = [dict(r) for r in report.history.evidence_records]
    for record in records:
        if record["record_id"] == WEIGHED:
            payload = json.loads(record["payload"])
            payload["values"][0]["value"] = "25.00"
            payload["values"][0]["in_spec"] = True
            text = canonical_json(payload)
            record["payload"] = text.decode("utf-8")
            record["record_hash"] = sha256_hex(text)
            record["values"] = payload["values"]
    history = report.history.model_copy(update={"evidence_records": tuple(records)})
    return attachments_of(history, ca_certificate=report.ca)


def test_a_sealed_report_verifies(report: Report) -> None:
    result = verify_report_pdf(report.signed, report.ca)
    assert (result.batch_number, result.records_signed, result.certificates) == ("B-C", 7, 3)
    assert result.signature.signer == SIGNER and result.decisions == 0
    assert result.audit_entries == len(report.history.evidence_audit) and result.pages >= 3


def test_a_flipped_byte(report: Report) -> None:
    forged = bytearray(report.signed)
    forged[forged.index(b"stream", len(forged) // 3) + 20] ^= 0x01
    assert _refused(report, bytes(forged)) == (
        "document signature",
        "the document was changed after it was signed: the digest does not match",
    )


def test_swapped_records_re_signed_with_a_key_the_ca_did_not_certify(
    report: Report, rogue: Rogue
) -> None:
    files = _forged_records(report)
    forged = rogue.seal(render_pdf(report.history, ca_certificate=report.ca, files=files))
    assert _refused(report, forged) == (
        "document signature",
        f"the signer {SIGNER} is not certified by the site CA",
    )


def test_swapped_records_sealed_by_the_site_itself_fail_on_the_record_signature(
    report: Report,
) -> None:
    files = _forged_records(report)
    forged = report.seal(render_pdf(report.history, ca_certificate=report.ca, files=files))
    assert _refused(report, forged) == (
        "records.json",
        f"record {WEIGHED}: the signature does not verify over the stored payload with its key",
    )


def test_a_report_re_signed_with_another_key(report: Report, rogue: Rogue) -> None:
    twice = rogue.seal(report.signed, field_name="Countersignature")
    assert _refused(report, twice) == (
        "document signature",
        "expected exactly one document signature, found 2",
    )
    assert _refused(report, rogue.seal(report.unsigned)) == (
        "document signature",
        f"the signer {SIGNER} is not certified by the site CA",
    )


def test_a_missing_attachment(report: Report) -> None:
    files = attachments_of(report.history, ca_certificate=report.ca)
    del files["audit.json"]
    forged = report.seal(render_pdf(report.history, ca_certificate=report.ca, files=files))
    assert _refused(report, forged) == ("attachments", "audit.json is missing")


def test_records_of_another_format_are_refused_by_name(report: Report) -> None:
    files = attachments_of(report.history, ca_certificate=report.ca)
    records = json.loads(files["records.json"])
    files["records.json"] = json.dumps({**records, "format": "ebr.report/1"}).encode()
    forged = report.seal(render_pdf(report.history, ca_certificate=report.ca, files=files))
    assert _refused(report, forged) == (
        "records.json",
        "malformed: ValueError(\"format 'ebr.report/1', not ebr.report/2\")",
    )


def test_a_record_of_another_chain_is_refused(report: Report) -> None:
    records: list[dict[str, Any]] = [dict(r) for r in report.history.evidence_records]
    records[-1] = {**records[-1], "chain_kind": "lot", "batch_id": None}
    history = report.history.model_copy(update={"evidence_records": tuple(records)})
    files = attachments_of(history, ca_certificate=report.ca)
    forged = report.seal(render_pdf(report.history, ca_certificate=report.ca, files=files))
    assert _refused(report, forged) == (
        "records.json",
        f"record {records[-1]['record_id']} is not of the chain of batch B-C",
    )


def test_certificates_from_another_ca(report: Report, rogue: Rogue) -> None:
    files = attachments_of(report.history, ca_certificate=rogue.ca.certificate)
    forged = report.seal(render_pdf(report.history, ca_certificate=report.ca, files=files))
    assert _refused(report, forged) == (
        "certificates.pem",
        "the CA certificate in it is not the site CA given",
    )


def test_visible_content_that_is_not_what_was_signed(report: Report) -> None:
    data = report.history.model_dump()
    record = data["operations"][0]["steps"][1]["records"][1]  # the weighing's verification
    record["manifestation"].update(full_name="Olga Okafor", user_id="olga")
    shown = BatchHistory.model_validate(data)
    files = attachments_of(report.history, ca_certificate=report.ca)
    forged = report.seal(render_pdf(shown, ca_certificate=report.ca, files=files))
    assert _refused(report, forged) == (
        "visible content",
        "record B-C/weigh-api/1/verified: 'Verified by Omar Haddad (omar)' is not shown",
    )


def test_a_value_shown_only_in_the_audit_appendix_does_not_count(report: Report) -> None:
    data = report.history.model_dump()
    value = data["operations"][0]["steps"][4]["records"][0]["values"][0]
    value["display"] = "Granules as expected"
    shown = BatchHistory.model_validate(data)
    files = attachments_of(report.history, ca_certificate=report.ca)
    forged = report.seal(render_pdf(shown, ca_certificate=report.ca, files=files))
    assert _refused(report, forged) == (
        "visible content",
        "record B-C/note/1/performed: value 'Granules slightly darker' of remark is not shown",
    )


def test_the_command(report: Report, tmp_path: Path, rogue: Rogue) -> None:
    app = typer.Typer()
    app.command()(verify_pdf)
    ca = tmp_path / "ca-cert.pem"
    ca.write_text(certificate_pem(report.ca))
    good, bad = tmp_path / "good.pdf", tmp_path / "bad.pdf"
    good.write_bytes(report.signed)
    bad.write_bytes(rogue.seal(report.signed, field_name="Countersignature"))
    runner = CliRunner()
    ok = runner.invoke(app, [str(good), "--ca", str(ca)], env={"COLUMNS": "200"})
    assert ok.exit_code == 0, ok.output
    assert "OK" in ok.output
    assert "7 signatures and the batch's hash chain verify (0 of them decisions)" in ok.output
    failed = runner.invoke(app, [str(bad), "--ca", str(ca)], env={"COLUMNS": "200"})
    assert failed.exit_code == 1
    assert "document signature: expected exactly one document signature, found 2" in failed.output
    missing = runner.invoke(app, [str(tmp_path / "none.pdf"), "--ca", str(ca)])
    assert missing.exit_code == 2


def test_ebr_verify_pdf_is_a_command(report: Report, tmp_path: Path) -> None:
    from ebr.cli import app

    ca = tmp_path / "ca-cert.pem"
    ca.write_text(certificate_pem(report.ca))
    good = tmp_path / "good.pdf"
    good.write_bytes(report.signed)
    result = CliRunner().invoke(app, ["verify-pdf", str(good), "--ca", str(ca)])
    assert result.exit_code == 0, result.output
