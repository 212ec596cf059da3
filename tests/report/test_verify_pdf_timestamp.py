"""verify-pdf on PAdES B-T reports: the level and the token's time are reported, the token is
validated against the TSA root given, and a missing or foreign token fails precisely."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from ebr.report.commands import verify_pdf
from ebr.report.verify_pdf import PdfRefused, verify_report_pdf
from signatures.ca import SiteCA, certificate_pem
from signatures.pdf import sign_pdf
from tests.report.conftest import Report, Rogue
from tests.signatures.tsa import make_tsa

STAMPED = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=30)
TSA = "CN=Test TSA"


def _stamped(report: Report, tsa_ca: SiteCA) -> bytes:
    tsa = make_tsa(tsa_ca, now=datetime.now(UTC), fixed_dt=STAMPED)
    key = report.document_key
    return sign_pdf(report.unsigned, key.key, key.certificate, report.ca, timestamper=tsa)


@pytest.fixture(scope="module")
def stamped(report: Report) -> bytes:
    """Batch B-C sealed by the site with a token from a TSA the site CA certified."""
    return _stamped(report, report.site.site.trust.ca)


def _run(report: Report, tmp_path: Path, pdf: bytes, *options: str) -> Result:
    app = typer.Typer()
    app.command()(verify_pdf)
    ca, file = tmp_path / "ca-cert.pem", tmp_path / "report.pdf"
    ca.write_text(certificate_pem(report.ca))
    file.write_bytes(pdf)
    args = [str(file), "--ca", str(ca), *options]
    return CliRunner().invoke(app, args, env={"COLUMNS": "200"})


def test_a_b_t_report_verifies_with_the_token_s_time(report: Report, stamped: bytes) -> None:
    result = verify_report_pdf(stamped, report.ca, require_timestamp=True)
    signature = result.signature
    assert (signature.level, signature.timestamped_at) == ("B-T", STAMPED)
    assert signature.time_stamp_authority == TSA and result.records_signed == 7


def test_the_command_says_b_t_and_prints_the_time(
    report: Report, stamped: bytes, tmp_path: Path
) -> None:
    ran = _run(report, tmp_path, stamped, "--require-timestamp")
    assert ran.exit_code == 0, ran.output
    assert "document signature: PAdES B-T" in ran.output
    assert f"time-stamp: {STAMPED.isoformat()} from {TSA}, token valid" in ran.output


def test_the_command_says_b_b_and_refuses_it_where_b_t_is_required(
    report: Report, tmp_path: Path
) -> None:
    ran = _run(report, tmp_path, report.signed)
    assert ran.exit_code == 0, ran.output
    assert "document signature: PAdES B-B" in ran.output and "time-stamp:" not in ran.output
    required = _run(report, tmp_path, report.signed, "--require-timestamp")
    assert required.exit_code == 1
    assert (
        "document signature: the signature carries no time-stamp token (PAdES B-B) but B-T is "
        "required" in required.output
    )


def test_a_token_from_a_tsa_outside_the_trusted_root_fails(
    report: Report, rogue: Rogue, tmp_path: Path
) -> None:
    forged = _stamped(report, rogue.ca)
    with pytest.raises(PdfRefused) as caught:
        verify_report_pdf(forged, report.ca)
    assert (caught.value.stage, caught.value.reason) == (
        "document signature",
        f"the time-stamping authority {TSA} is not certified by a trusted root for "
        "time-stamping (CERTIFICATE_CHAIN_GENERAL_FAILURE)",
    )
    assert _run(report, tmp_path, forged).exit_code == 1
    tsa_root = tmp_path / "tsa-root.pem"
    tsa_root.write_text(certificate_pem(rogue.ca.certificate))
    trusted = _run(report, tmp_path, forged, "--tsa-ca", str(tsa_root))
    assert trusted.exit_code == 0, trusted.output
    assert "document signature: PAdES B-T" in trusted.output


def test_a_flipped_byte_in_a_b_t_report(report: Report, stamped: bytes) -> None:
    forged = bytearray(stamped)
    forged[forged.index(b"stream", len(forged) // 3) + 20] ^= 0x01
    with pytest.raises(PdfRefused) as caught:
        verify_report_pdf(bytes(forged), report.ca)
    assert caught.value.reason == (
        "the document was changed after it was signed: the digest does not match"
    )
