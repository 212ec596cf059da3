"""PAdES document signatures: a good one verifies, and every attack on one fails precisely."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import weasyprint  # type: ignore[import-untyped]  # WeasyPrint ships no type information
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from signatures.ca import SiteCA, create_site_ca, issue_site_signing_certificate
from signatures.errors import BadCertificate
from signatures.pdf import BadDocumentSignature, sign_pdf, verify_pdf_signature

ORG = "PDF Test Site"
Site = tuple[SiteCA, ec.EllipticCurvePrivateKey, x509.Certificate]


def _ca() -> SiteCA:
    return create_site_ca(organization=ORG, common_name=f"{ORG} CA", now=datetime.now(UTC))


def _key(
    ca: SiteCA, purpose: str = "document signing"
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = issue_site_signing_certificate(
        ca, purpose=purpose, public_key=key.public_key(), now=datetime.now(UTC)
    )
    return key, cert


@pytest.fixture(scope="module")
def site() -> tuple[SiteCA, ec.EllipticCurvePrivateKey, x509.Certificate]:
    ca = _ca()
    return (ca, *_key(ca))


@pytest.fixture(scope="module")
def pdf() -> bytes:
    html = "<h1>Batch B-1</h1><p>" + "Net weight 25.01 kg. " * 40 + "</p>"
    data = weasyprint.HTML(string=html).write_pdf(pdf_variant="pdf/a-3b")
    assert isinstance(data, bytes)
    return data


def _refused(data: bytes, ca: x509.Certificate) -> str:
    with pytest.raises(BadDocumentSignature) as caught:
        verify_pdf_signature(data, ca)
    return caught.value.message


def test_a_signed_pdf_verifies(site: Site, pdf: bytes) -> None:
    ca, key, cert = site
    found = verify_pdf_signature(sign_pdf(pdf, key, cert, ca.certificate), ca.certificate)
    assert found.signer == f"CN={ORG} document signing,O={ORG}"
    assert found.coverage == "ENTIRE_FILE" and found.signed_at is not None


def test_a_flipped_byte_breaks_the_digest(site: Site, pdf: bytes) -> None:
    ca, key, cert = site
    signed = bytearray(sign_pdf(pdf, key, cert, ca.certificate))
    at = signed.index(b"stream", len(pdf) // 3) + 20  # inside a signed content stream
    signed[at] ^= 0x01
    assert _refused(bytes(signed), ca.certificate) == (
        "the document was changed after it was signed: the digest does not match"
    )


def test_an_unsigned_pdf_is_refused(site: Site, pdf: bytes) -> None:
    assert _refused(pdf, site[0].certificate) == "expected exactly one document signature, found 0"


def test_a_signer_from_another_ca_is_not_trusted(site: Site, pdf: bytes) -> None:
    rogue = _ca()  # same organisation name, another key
    key, cert = _key(rogue)
    signed = sign_pdf(pdf, key, cert, rogue.certificate)
    assert _refused(signed, site[0].certificate) == (
        f"the signer CN={ORG} document signing,O={ORG} is not certified by the site CA"
    )


def test_re_signing_a_signed_pdf_is_refused(site: Site, pdf: bytes) -> None:
    ca, key, cert = site
    signed = sign_pdf(pdf, key, cert, ca.certificate)
    rogue = _ca()
    other_key, other_cert = _key(rogue)
    twice = sign_pdf(signed, other_key, other_cert, rogue.certificate, field_name="Second")
    assert _refused(twice, ca.certificate) == "expected exactly one document signature, found 2"


def test_another_site_key_of_the_ca_may_not_seal_a_document(site: Site, pdf: bytes) -> None:
    ca = site[0]
    key, cert = _key(ca, purpose="label printing")
    signed = sign_pdf(pdf, key, cert, ca.certificate)
    assert _refused(signed, ca.certificate) == (
        f"the signer CN={ORG} label printing,O={ORG} is not the site's document signing key"
    )


def test_bytes_appended_after_signing_are_refused(site: Site, pdf: bytes) -> None:
    ca, key, cert = site
    signed = sign_pdf(pdf, key, cert, ca.certificate)
    message = _refused(signed + b"\n% appended\n", ca.certificate)
    assert message == (
        "the signature does not cover the whole file: something was appended after signing"
    )


def test_a_key_that_is_not_the_certificate_s_is_refused(site: Site, pdf: bytes) -> None:
    ca, _, cert = site
    with pytest.raises(BadCertificate):
        sign_pdf(pdf, ec.generate_private_key(ec.SECP256R1()), cert, ca.certificate)


def test_a_file_that_is_not_a_pdf_is_refused(site: Site) -> None:
    assert _refused(b"not a pdf", site[0].certificate).startswith("the file is not a readable PDF")
