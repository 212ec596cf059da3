"""The site CA itself: ``SiteCA``, creating it, and issuing end-entity certificates.

The CA key is ECDSA P-256 so PDF readers can validate documents it certifies. It issues user
certificates binding a person (name, ebr user id) to their Ed25519 record-signing key, and
certificates for the site's own keys (the audit checkpoint key, a PDF document-signing key).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.x509.oid import NameOID

from signatures.errors import BadCertificate

__all__ = ["SiteCA", "create_site_ca", "issue_site_signing_certificate", "issue_user_certificate"]


@dataclass(frozen=True)
class SiteCA:
    """The site CA's ECDSA P-256 private key and its self-signed certificate."""

    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    @property
    def organization(self) -> str:
        values = self.certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        return str(values[0].value) if values else ""


def create_site_ca(
    *, organization: str, common_name: str, now: datetime, valid_years: int = 20
) -> SiteCA:
    """Create a new self-signed site CA valid from ``now`` for ``valid_years`` years.

    The certificate has BasicConstraints CA=true with pathlen 0 (it issues only end-entity
    certificates), KeyUsage keyCertSign + cRLSign, and a SubjectKeyIdentifier.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    certificate = (
        _builder(name, name, key.public_key(), None, now, _add_years(now, valid_years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    return SiteCA(key=key, certificate=certificate)


def issue_user_certificate(
    ca: SiteCA,
    *,
    user_id: str,
    full_name: str,
    public_key: Ed25519PublicKey,
    serial: int | None = None,
    now: datetime,
    valid_days: int = 3650,
) -> x509.Certificate:
    """Issue a certificate binding ``full_name`` and ``user_id`` to an Ed25519 signing key.

    Subject CN=full_name, UID=user_id, O=the CA's organization. KeyUsage digitalSignature +
    contentCommitment (non-repudiation), BasicConstraints CA=false, subject and authority key
    identifiers. Validity starts at ``now`` and never outlasts the CA certificate.

    Raises:
        BadCertificate: the CA certificate is not valid at ``now``.
    """
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ca.organization),
            x509.NameAttribute(NameOID.USER_ID, user_id),
            x509.NameAttribute(NameOID.COMMON_NAME, full_name),
        ]
    )
    return _issue(ca, subject, public_key, serial, now, valid_days)


def issue_site_signing_certificate(
    ca: SiteCA,
    *,
    purpose: str,
    public_key: Ed25519PublicKey | ec.EllipticCurvePublicKey,
    now: datetime,
    valid_days: int = 3650,
) -> x509.Certificate:
    """Issue a certificate for one of the site's own keys, CN=f"{organization} {purpose}".

    Use it for the audit checkpoint key (Ed25519) or a PDF document-signing key (ECDSA P-256).
    Extensions and validity as ``issue_user_certificate``.

    Raises:
        BadCertificate: the CA certificate is not valid at ``now``.
    """
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ca.organization),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{ca.organization} {purpose}"),
        ]
    )
    return _issue(ca, subject, public_key, None, now, valid_days)


def _issue(
    ca: SiteCA,
    subject: x509.Name,
    public_key: Ed25519PublicKey | ec.EllipticCurvePublicKey,
    serial: int | None,
    now: datetime,
    valid_days: int,
) -> x509.Certificate:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("certificate times must be timezone-aware")
    ca_cert = ca.certificate
    if not ca_cert.not_valid_before_utc <= now <= ca_cert.not_valid_after_utc:
        raise BadCertificate(f"the site CA is not valid at {now.isoformat()}")
    not_after = min(now + timedelta(days=valid_days), ca_cert.not_valid_after_utc)
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        _builder(subject, ca_cert.subject, public_key, serial, now, not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
        .sign(ca.key, hashes.SHA256())
    )


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: Ed25519PublicKey | ec.EllipticCurvePublicKey,
    serial: int | None,
    not_before: datetime,
    not_after: datetime,
) -> x509.CertificateBuilder:
    if not_before.tzinfo is None:
        raise ValueError("certificate times must be timezone-aware")
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(serial if serial is not None else x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=not cert_sign,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _add_years(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February in a year that has none
        return moment.replace(year=moment.year + years, day=28)
