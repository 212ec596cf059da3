"""PAdES baseline B-B and B-T document signatures on batch reports, made and checked with pyHanko.

The site's document-signing key is ECDSA P-256, certified by the site CA (``purpose="document
signing"``). A report carries exactly one signature, and it must cover the whole file: any
byte appended after signing (an incremental update, another signature) is refused. With a
time-stamping authority (a ``TimeStamper``), the signature also carries an RFC 3161 signature
time-stamp token (B-T): proof from the TSA that the signature existed at the token's time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import Any

# asn1crypto ships no type information; pyHanko's API takes its certificate and key objects.
from asn1crypto import keys as asn1_keys  # type: ignore[import-untyped]
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata.model import VENDOR
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.timestamps import TimeStamper, TimestampRequestError
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel, TimestampSignatureStatus
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from signatures.certificates import certificate_fingerprint, verify_certificate
from signatures.errors import BadCertificate, BadSignature

__all__ = [
    "BASELINE_B",
    "BASELINE_T",
    "FIELD_NAME",
    "BadDocumentSignature",
    "DocumentSignature",
    "sign_pdf",
    "verify_pdf_signature",
]

FIELD_NAME = "EbrDocumentSignature"
BASELINE_B = "B-B"
"""The PAdES baseline level of a signature without a time-stamp token."""
BASELINE_T = "B-T"
"""The PAdES baseline level of a signature carrying a signature time-stamp token."""


class BadDocumentSignature(BadSignature):
    """The PDF's document signature is missing, broken, untrusted or does not cover the file."""

    code = "bad_document_signature"


@dataclass(frozen=True, kw_only=True)
class DocumentSignature:
    """What a valid document signature says: who signed (the certificate), when it claims.

    ``level`` is ``B-B`` or ``B-T``; for B-T, ``timestamped_at`` is the time in the validated
    time-stamp token and ``time_stamp_authority`` the subject of the TSA's certificate.
    """

    signer: str
    certificate_fingerprint: str
    signed_at: datetime | None
    coverage: str
    level: str = BASELINE_B
    timestamped_at: datetime | None = None
    time_stamp_authority: str | None = None


def sign_pdf(
    pdf_bytes: bytes,
    key: ec.EllipticCurvePrivateKey,
    cert: x509.Certificate,
    ca_cert: x509.Certificate,
    *,
    reason: str = "Batch history report issued by ebr",
    location: str | None = None,
    field_name: str = FIELD_NAME,
    timestamper: TimeStamper | None = None,
) -> bytes:
    """Return ``pdf_bytes`` with a PAdES signature (SubFilter ETSI.CAdES.detached) added.

    The signature is an incremental update holding a new invisible signature field; the CMS
    embeds ``cert`` and ``ca_cert`` so a reader can build the chain. Without ``timestamper``
    the signature is baseline B-B: the signing time is the signer's claim. With one (for a
    TSA's URL, pyHanko's ``HTTPTimeStamper(url)``), the TSA is asked for an RFC 3161 token
    over the signature value, stored as the unsigned attribute signature-time-stamp-token:
    baseline B-T. ``field_name`` names the new signature field (a report has one; tests add a
    second to show it is refused).

    Raises:
        BadDocumentSignature: ``pdf_bytes`` is not a PDF pyHanko can update, or the TSA
            did not answer with a time-stamp token.
        BadCertificate: ``key`` is not the key ``cert`` certifies.
    """
    if cert.public_key() != key.public_key():
        raise BadCertificate("the document-signing key is not the key its certificate holds")
    der_key = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    signer = signers.SimpleSigner(
        signing_cert=_asn1(cert),
        signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
        cert_registry=SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]  # unannotated upstream
            [_asn1(ca_cert)]
        ),
    )
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
    )
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf_bytes), strict=False)
        _same_producer(writer)
        out = signers.sign_pdf(writer, meta, signer=signer, timestamper=timestamper)
    except PdfError as exc:
        raise BadDocumentSignature(f"the document cannot be signed: {exc}") from exc
    except TimestampRequestError as exc:
        raise BadDocumentSignature(f"the time-stamping authority failed: {exc}") from exc
    return bytes(out.getbuffer())


def verify_pdf_signature(
    pdf_bytes: bytes,
    ca_cert: x509.Certificate,
    *,
    purpose: str = "document signing",
    tsa_roots: Sequence[x509.Certificate] | None = None,
    require_timestamp: bool = False,
) -> DocumentSignature:
    """Check the PDF's one document signature against the site CA; return what it says.

    Checks, in order: the file parses; it holds exactly one signature; the signature's digest
    matches the signed byte ranges and the CMS signature verifies (``intact``, ``valid``);
    the signer's certificate chains to ``ca_cert`` as the only trust root (pyHanko's
    validation, no fetching, revocation not checked) and is one the CA issued, valid at the
    signing time (``verify_certificate``) and is the site's key for ``purpose`` (its CN ends
    with it: a person's certificate from the same CA may not seal a report); the signature
    covers the entire file, so nothing was appended after signing.

    A signature carrying a signature-time-stamp token is B-T, and its token must validate:
    its message imprint is the digest of this signature value and its own signature verifies
    (``intact``, ``valid``), and the TSA's certificate, with the time-stamping extended key
    usage, chains to one of ``tsa_roots`` (default: ``ca_cert`` alone). The signing time is
    then the token's time, not the signer's claim. The token sits in the CMS's unsigned
    attributes, outside the signed bytes, so whoever can edit the file can strip it: pass
    ``require_timestamp`` to refuse a B-B signature.

    Raises:
        BadDocumentSignature: naming the first check that failed.
    """
    try:
        reader = PdfFileReader(BytesIO(pdf_bytes), strict=False)
        found = reader.embedded_signatures
    except (PdfError, ValueError, KeyError) as exc:
        raise BadDocumentSignature(f"the file is not a readable PDF: {exc}") from None
    if len(found) != 1:
        raise BadDocumentSignature(f"expected exactly one document signature, found {len(found)}")
    embedded = found[0]
    claims_timestamp = _carries_timestamp(embedded.signer_info)
    if require_timestamp and not claims_timestamp:
        raise BadDocumentSignature(
            "the signature carries no time-stamp token (PAdES B-B) but B-T is required"
        )
    context = ValidationContext(trust_roots=[_asn1(ca_cert)], allow_fetching=False)
    roots = tsa_roots if tsa_roots is not None else [ca_cert]
    ts_context = ValidationContext(trust_roots=[_asn1(c) for c in roots], allow_fetching=False)
    try:
        status = validate_pdf_signature(embedded, context, ts_validation_context=ts_context)
    except Exception as exc:  # pyHanko raises many kinds on a malformed signature
        raise BadDocumentSignature(f"the document signature cannot be validated: {exc}") from None
    if not status.intact:
        raise BadDocumentSignature(
            "the document was changed after it was signed: the digest does not match"
        )
    if not status.valid:
        raise BadDocumentSignature("the document signature does not verify under its certificate")
    cert = x509.load_der_x509_certificate(status.signing_cert.dump())
    signer = cert.subject.rfc4514_string()
    if not status.trusted:
        raise BadDocumentSignature(f"the signer {signer} is not certified by the site CA")
    token = status.timestamp_validity
    if claims_timestamp:
        if token is None:
            raise BadDocumentSignature("the signature's time-stamp token cannot be read")
        _check_token(token)
    claimed = status.signer_reported_dt
    at = token.timestamp if token is not None else claimed
    try:
        verify_certificate(cert, ca_cert, at=at or cert.not_valid_before_utc)
    except BadCertificate as exc:
        raise BadDocumentSignature(f"the signer's certificate is refused: {exc.message}") from None
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not names or not str(names[0].value).endswith(f" {purpose}"):
        raise BadDocumentSignature(f"the signer {signer} is not the site's {purpose} key")
    if status.coverage is not SignatureCoverageLevel.ENTIRE_FILE:
        raise BadDocumentSignature(
            "the signature does not cover the whole file: something was appended after signing"
        )
    return DocumentSignature(
        signer=signer,
        certificate_fingerprint=certificate_fingerprint(cert),
        signed_at=claimed,
        coverage=status.coverage.name,
        level=BASELINE_T if token is not None else BASELINE_B,
        timestamped_at=token.timestamp if token is not None else None,
        time_stamp_authority=_subject(token.signing_cert) if token is not None else None,
    )


def _carries_timestamp(signer_info: Any) -> bool:
    """True when the CMS's unsigned attributes hold a signature-time-stamp-token attribute."""
    unsigned = signer_info["unsigned_attrs"]
    if not unsigned:
        return False
    return any(attr["type"].native == "signature_time_stamp_token" for attr in unsigned)


def _check_token(token: TimestampSignatureStatus) -> None:
    """The token covers this signature, its TSA signed it, and the TSA chains to a root."""
    tsa = _subject(token.signing_cert)
    if not token.intact:
        raise BadDocumentSignature(
            f"the time-stamp token from {tsa} does not match: it does not cover this "
            "signature or its content was changed"
        )
    if not token.valid:
        raise BadDocumentSignature(
            f"the time-stamp token's signature does not verify under the certificate of {tsa}"
        )
    if not token.trusted:
        indic = token.trust_problem_indic
        why = f" ({indic.standard_name})" if indic is not None else ""
        raise BadDocumentSignature(
            f"the time-stamping authority {tsa} is not certified by a trusted root "
            f"for time-stamping{why}"
        )


def _subject(cert: asn1_x509.Certificate) -> str:
    return x509.load_der_x509_certificate(cert.dump()).subject.rfc4514_string()


def _same_producer(writer: IncrementalPdfFileWriter) -> None:
    """Make the Info dictionary's /Producer pyHanko's name before pyHanko updates metadata.

    pyHanko writes its name alone into the XMP pdf:Producer but appends it to an Info /Producer
    it finds ("WeasyPrint 70.0; pyHanko ..."); PDF/A requires the two to be equivalent.
    """
    try:
        current = writer.prev.trailer_view["/Info"]
    except KeyError:
        return
    info = generic.DictionaryObject(dict(current.items()))  # type: ignore[no-untyped-call]  # unannotated upstream
    info[generic.NameObject("/Producer")] = generic.TextStringObject(VENDOR)
    writer.set_info(info)


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
