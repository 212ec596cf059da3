"""One signed site per session (SQLite), its batch B-C rendered and signed once, and a rogue CA."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from sqlmodel import Session

from ebr.report.history import BatchHistory
from ebr.report.loading import load_history
from ebr.report.render import render_pdf
from ebr.report.signing_key import DocumentKey, load_or_create_document_key
from signatures.ca import SiteCA, create_site_ca, issue_site_signing_certificate
from signatures.pdf import sign_pdf
from tests.report.decided import BATCH as DECIDED
from tests.report.decided import add_decided_batch
from tests.report.site import BATCH, ReportSite, build_report_site
from tests.verification.site import SITE_NAME

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


@dataclass
class Report:
    site: ReportSite
    history: BatchHistory
    document_key: DocumentKey
    unsigned: bytes
    signed: bytes

    @property
    def ca(self) -> x509.Certificate:
        return self.site.site.trust.ca.certificate

    def seal(self, pdf: bytes) -> bytes:
        """Sign as the site does, with its document key."""
        return sign_pdf(pdf, self.document_key.key, self.document_key.certificate, self.ca)


@dataclass
class Rogue:
    """An attacker's CA with the site's name, and a document key it certified."""

    ca: SiteCA
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    def seal(self, pdf: bytes, *, field_name: str = "EbrDocumentSignature") -> bytes:
        return sign_pdf(pdf, self.key, self.certificate, self.ca.certificate, field_name=field_name)


@pytest.fixture(scope="session")
def report_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReportSite]:
    built = build_report_site(tmp_path_factory.mktemp("report") / "data")
    yield built
    built.engine.dispose()


def history_of(site: ReportSite, batch_id: str) -> BatchHistory:
    with Session(site.engine) as session:
        return load_history(session=session, batch_id=batch_id)


@pytest.fixture(scope="session")
def report(report_site: ReportSite) -> Report:
    history = history_of(report_site, BATCH)
    key = load_or_create_document_key(report_site.data_dir, ca=report_site.site.trust.ca)
    unsigned = render_pdf(
        history, ca_certificate=report_site.site.trust.ca.certificate, site=SITE_NAME
    )
    made = Report(report_site, history, key, unsigned, b"")
    made.signed = made.seal(unsigned)
    return made


@pytest.fixture(scope="session")
def decided(report: Report) -> Report:
    """Batch B-D (released after a deviation, holds and a breach), rendered and sealed."""
    add_decided_batch(report.site)
    history = history_of(report.site, DECIDED)
    unsigned = render_pdf(history, ca_certificate=report.ca, site=SITE_NAME)
    made = Report(report.site, history, report.document_key, unsigned, b"")
    made.signed = made.seal(unsigned)
    return made


@pytest.fixture(scope="session")
def rogue() -> Rogue:
    now = datetime.now(UTC)
    ca = create_site_ca(organization=SITE_NAME, common_name=f"{SITE_NAME} EBR CA", now=now)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = issue_site_signing_certificate(
        ca, purpose="document signing", public_key=key.public_key(), now=now
    )
    return Rogue(ca=ca, key=key, certificate=cert)
