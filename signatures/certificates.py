"""Checking certificates the site CA issued, and PEM, fingerprint and subject helpers."""

from __future__ import annotations

from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.x509.oid import NameOID, SignatureAlgorithmOID

from signatures.canonical import sha256_hex
from signatures.errors import BadCertificate

__all__ = [
    "certificate_fingerprint",
    "certificate_pem",
    "certificate_user_id",
    "load_certificate_pem",
    "signer_public_key",
    "verify_certificate",
]


def verify_certificate(cert: x509.Certificate, ca_cert: x509.Certificate, *, at: datetime) -> None:
    """Check that ``cert`` is a signing certificate issued by ``ca_cert`` and valid ``at``.

    ``ca_cert`` is the trust anchor (the site CA certificate from configuration). Checks, in
    order: ``ca_cert`` is a CA certificate with an ECDSA P-256 key; ``cert``'s issuer name is the
    CA's subject; ``cert`` is signed with ECDSA-SHA256 and the signature verifies under the CA's
    key; ``at`` lies within the validity of both certificates (inclusive; pass the time a record
    was signed, so old certificates still verify records signed while they were valid);
    ``cert`` is not a CA; its KeyUsage includes digitalSignature. Revocation is not checked.

    Raises:
        BadCertificate: naming the first check that failed.
        ValueError: ``at`` is naive.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("verify_certificate needs a timezone-aware time")
    ca_key = ca_cert.public_key()
    if not _is_ca(ca_cert) or not (
        isinstance(ca_key, ec.EllipticCurvePublicKey) and isinstance(ca_key.curve, ec.SECP256R1)
    ):
        raise BadCertificate("the trust anchor is not an ECDSA P-256 CA certificate")
    if cert.issuer != ca_cert.subject:
        raise BadCertificate(f"issuer {cert.issuer.rfc4514_string()} is not the site CA")
    if cert.signature_algorithm_oid != SignatureAlgorithmOID.ECDSA_WITH_SHA256:
        raise BadCertificate("certificate is not signed with ECDSA-SHA256")
    try:
        ca_key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise BadCertificate("certificate signature does not verify under the site CA") from None
    for which, checked in (("certificate", cert), ("site CA certificate", ca_cert)):
        if not checked.not_valid_before_utc <= at <= checked.not_valid_after_utc:
            raise BadCertificate(
                f"{which} is not valid at {at.isoformat()} (valid "
                f"{checked.not_valid_before_utc.isoformat()} to "
                f"{checked.not_valid_after_utc.isoformat()})"
            )
    if _is_ca(cert):
        raise BadCertificate("certificate is a CA certificate, not a signer's")
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        raise BadCertificate("certificate has no KeyUsage extension") from None
    if not usage.digital_signature:
        raise BadCertificate("certificate key usage does not include digitalSignature")


def signer_public_key(cert: x509.Certificate) -> Ed25519PublicKey:
    """Return the Ed25519 public key of a user or checkpoint certificate.

    Raises:
        BadCertificate: the certificate holds another kind of key.
    """
    key = cert.public_key()
    if not isinstance(key, Ed25519PublicKey):
        raise BadCertificate("certificate does not hold an Ed25519 key")
    return key


def certificate_user_id(cert: x509.Certificate) -> str | None:
    """Return the subject's UID attribute (the ebr user id), or ``None`` when there is none."""
    values = cert.subject.get_attributes_for_oid(NameOID.USER_ID)
    return str(values[0].value) if values else None


def certificate_pem(cert: x509.Certificate) -> str:
    """Return the certificate as PEM text."""
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def load_certificate_pem(text: str | bytes) -> x509.Certificate:
    """Parse one PEM certificate.

    Raises:
        BadCertificate: the text is not a parseable PEM certificate.
    """
    data = text.encode("ascii", "replace") if isinstance(text, str) else text
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError as exc:
        raise BadCertificate(f"not a PEM certificate: {exc}") from exc


def certificate_fingerprint(cert: x509.Certificate) -> str:
    """Return the lowercase hex SHA-256 of the certificate's DER encoding."""
    return sha256_hex(cert.public_bytes(serialization.Encoding.DER))


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False
