"""PAdES document signatures: a good one verifies, and every attack on one fails precisely."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
import weasyprint  # type: ignore[import-untyped]  # WeasyPrint ships no type information
from asn1crypto import cms, tsp  # type: ignore[import-untyped]  # no type information
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.pdf_utils.reader import PdfFileReader

from signatures.ca import SiteCA, create_site_ca, issue_site_signing_certificate
from signatures.errors import BadCertificate
from signatures.pdf import BadDocumentSignature, sign_pdf, verify_pdf_signature
from tests.signatures.tsa import make_tsa

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
    assert (found.level, found.timestamped_at, found.time_stamp_authority) == ("B-B", None, None)


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


# --- PAdES B-T: a signature time-stamp token from a TSA -----------------------------------------

STAMPED = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
TSA = "CN=Test TSA"


def _stamped(
    site: Site, pdf: bytes, tsa_ca: SiteCA | None = None, *, at: datetime = STAMPED
) -> bytes:
    ca, key, cert = site
    tsa = make_tsa(tsa_ca or ca, now=datetime.now(UTC), fixed_dt=at)
    return sign_pdf(pdf, key, cert, ca.certificate, timestamper=tsa)


def _edit_cms(signed: bytes, edit: Callable[[cms.SignerInfo], None]) -> bytes:
    """Rewrite the signature's CMS in /Contents (outside the signed bytes), same length."""
    embedded = PdfFileReader(BytesIO(signed), strict=False).embedded_signatures[0]
    _, start, end, _ = (int(n) for n in embedded.sig_object["/ByteRange"])
    content = cms.ContentInfo.load(bytes.fromhex(signed[start + 1 : end - 1].decode()))
    edit(content["content"]["signer_infos"][0])
    hexed: bytes = content.dump(force=True).hex().encode()
    assert len(hexed) <= end - start - 2
    return signed[: start + 1] + hexed.ljust(end - start - 2, b"0") + signed[end - 1 :]


def test_a_time_stamped_signature_is_b_t_with_the_token_s_time(site: Site, pdf: bytes) -> None:
    found = verify_pdf_signature(_stamped(site, pdf), site[0].certificate)
    assert (found.level, found.timestamped_at, found.time_stamp_authority) == ("B-T", STAMPED, TSA)
    assert found.signer == f"CN={ORG} document signing,O={ORG}"


def test_a_tsa_under_another_trusted_root_verifies(site: Site, pdf: bytes) -> None:
    tsa_root = _ca()
    signed = _stamped(site, pdf, tsa_root)
    found = verify_pdf_signature(signed, site[0].certificate, tsa_roots=[tsa_root.certificate])
    assert (found.level, found.timestamped_at) == ("B-T", STAMPED)


def test_a_tsa_not_chaining_to_the_trusted_root_is_refused(site: Site, pdf: bytes) -> None:
    signed = _stamped(site, pdf, _ca())  # a TSA certified by another CA of the same name
    assert _refused(signed, site[0].certificate) == (
        f"the time-stamping authority {TSA} is not certified by a trusted root for "
        "time-stamping (CERTIFICATE_CHAIN_GENERAL_FAILURE)"
    )


def test_a_token_whose_time_was_changed_is_refused(site: Site, pdf: bytes) -> None:
    def backdate(signer_info: cms.SignerInfo) -> None:
        token = signer_info["unsigned_attrs"][0]["values"][0]
        encapsulated = token["content"]["encap_content_info"]
        info = tsp.TSTInfo.load(encapsulated["content"].parsed.dump())
        info["gen_time"] = datetime(2020, 1, 1, tzinfo=UTC)
        encapsulated["content"] = cms.ParsableOctetString(info.dump())

    forged = _edit_cms(_stamped(site, pdf), backdate)
    assert _refused(forged, site[0].certificate) == (
        f"the time-stamp token from {TSA} does not match: it does not cover this signature "
        "or its content was changed"
    )


def test_a_token_from_another_signature_is_refused(site: Site, pdf: bytes) -> None:
    ca, key, cert = site
    other = _stamped(site, weasyprint.HTML(string="<p>Other</p>").write_pdf())
    other_info = PdfFileReader(BytesIO(other), strict=False).embedded_signatures[0].signer_info
    other_token = other_info["unsigned_attrs"][0]["values"][0]

    def swap(signer_info: cms.SignerInfo) -> None:
        signer_info["unsigned_attrs"][0]["values"] = [other_token]

    forged = _edit_cms(_stamped(site, pdf), swap)
    assert _refused(forged, ca.certificate) == (
        f"the time-stamp token from {TSA} does not match: it does not cover this signature "
        "or its content was changed"
    )


def test_a_stripped_token_is_b_b_and_refused_where_b_t_is_required(site: Site, pdf: bytes) -> None:
    def strip(signer_info: cms.SignerInfo) -> None:
        del signer_info["unsigned_attrs"]

    stripped = _edit_cms(_stamped(site, pdf), strip)
    ca = site[0].certificate
    assert verify_pdf_signature(stripped, ca).level == "B-B"
    with pytest.raises(BadDocumentSignature) as caught:
        verify_pdf_signature(stripped, ca, require_timestamp=True)
    assert caught.value.message == (
        "the signature carries no time-stamp token (PAdES B-B) but B-T is required"
    )


def test_a_token_dated_before_the_signer_s_certificate_is_refused(site: Site, pdf: bytes) -> None:
    early = site[2].not_valid_before_utc - timedelta(days=1)
    message = _refused(_stamped(site, pdf, at=early), site[0].certificate)
    assert message.startswith(
        f"the signer's certificate is refused: certificate is not valid at {early.isoformat()}"
    )


def test_a_flipped_byte_breaks_a_time_stamped_signature(site: Site, pdf: bytes) -> None:
    signed = bytearray(_stamped(site, pdf))
    signed[signed.index(b"stream", len(pdf) // 3) + 20] ^= 0x01
    assert _refused(bytes(signed), site[0].certificate) == (
        "the document was changed after it was signed: the digest does not match"
    )
