"""The site CA: issued certificates verify; foreign, expired, early, tampered ones do not."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID

from signatures.ca import (
    CA_CERT_FILE,
    CA_KEY_FILE,
    SiteCA,
    certificate_fingerprint,
    certificate_pem,
    certificate_user_id,
    create_site_ca,
    issue_site_signing_certificate,
    issue_user_certificate,
    load_ca,
    load_certificate_pem,
    save_ca,
    signer_public_key,
    verify_certificate,
)
from signatures.errors import BadCertificate, KeyFormatError, WrongPassword
from tests.signatures.conftest import NOW


def user_cert(
    ca: SiteCA,
    key: Ed25519PrivateKey,
    *,
    now: datetime = NOW,
    valid_days: int = 3650,
    serial: int | None = None,
) -> x509.Certificate:
    return issue_user_certificate(
        ca,
        user_id="u-42",
        full_name="Zoë Müller",
        public_key=key.public_key(),
        serial=serial,
        now=now,
        valid_days=valid_days,
    )


def assert_bad(cert: x509.Certificate, ca_cert: x509.Certificate, at: datetime, match: str) -> None:
    with pytest.raises(BadCertificate, match=match) as caught:
        verify_certificate(cert, ca_cert, at=at)
    assert caught.value.code == "bad_certificate"


def test_ca_certificate(site_ca: SiteCA) -> None:
    cert = site_ca.certificate
    assert cert.issuer == cert.subject and site_ca.organization == "Acme Pharma GmbH"
    constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert constraints.ca and constraints.path_length == 0
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign and not usage.digital_signature
    assert isinstance(site_ca.key.curve, ec.SECP256R1)
    assert cert.not_valid_after_utc.year == 2045
    cert.verify_directly_issued_by(cert)


def test_user_certificate(site_ca: SiteCA, key: Ed25519PrivateKey) -> None:
    cert = user_cert(site_ca, key)
    verify_certificate(cert, site_ca.certificate, at=NOW)
    verify_certificate(cert, site_ca.certificate, at=NOW + timedelta(days=3649))
    subject = {a.oid: a.value for a in cert.subject}
    assert subject == {
        NameOID.COMMON_NAME: "Zoë Müller",
        NameOID.USER_ID: "u-42",
        NameOID.ORGANIZATION_NAME: "Acme Pharma GmbH",
    }
    assert certificate_user_id(cert) == "u-42"
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ski = site_ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert aki.key_identifier == ski.value.digest
    assert signer_public_key(cert).public_bytes_raw() == key.public_key().public_bytes_raw()
    cert.verify_directly_issued_by(site_ca.certificate)


def test_explicit_serial(site_ca: SiteCA, key: Ed25519PrivateKey) -> None:
    assert user_cert(site_ca, key, serial=4242).serial_number == 4242


def test_user_certificate_never_outlives_the_ca(site_ca: SiteCA, key: Ed25519PrivateKey) -> None:
    cert = user_cert(site_ca, key, now=NOW + timedelta(days=365 * 19), valid_days=3650)
    assert cert.not_valid_after_utc == site_ca.certificate.not_valid_after_utc


def test_issuing_outside_the_ca_validity(site_ca: SiteCA, key: Ed25519PrivateKey) -> None:
    with pytest.raises(BadCertificate):
        user_cert(site_ca, key, now=NOW - timedelta(days=1))


def test_site_signing_certificates(site_ca: SiteCA) -> None:
    checkpoint_key = Ed25519PrivateKey.generate()
    cert = issue_site_signing_certificate(
        site_ca, purpose="audit checkpoints", public_key=checkpoint_key.public_key(), now=NOW
    )
    verify_certificate(cert, site_ca.certificate, at=NOW)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == (
        "Acme Pharma GmbH audit checkpoints"
    )
    pdf_key = ec.generate_private_key(ec.SECP256R1())
    pdf_cert = issue_site_signing_certificate(
        site_ca,
        purpose="document signing",
        public_key=pdf_key.public_key(),
        now=NOW,
        valid_days=365,
    )
    verify_certificate(pdf_cert, site_ca.certificate, at=NOW + timedelta(days=364))
    with pytest.raises(BadCertificate, match="Ed25519"):
        signer_public_key(pdf_cert)


# --- Attacks ---


def test_issued_by_another_ca(site_ca: SiteCA, other_ca: SiteCA, key: Ed25519PrivateKey) -> None:
    assert_bad(user_cert(other_ca, key), site_ca.certificate, NOW, "not the site CA")


def test_impostor_ca_with_the_same_subject(site_ca: SiteCA, key: Ed25519PrivateKey) -> None:
    impostor_key = ec.generate_private_key(ec.SECP256R1())
    impostor = SiteCA(
        key=impostor_key,
        certificate=site_ca.certificate,  # claims the real CA's name (and even certificate)
    )
    forged = user_cert(impostor, key)
    assert forged.issuer == site_ca.certificate.subject
    assert_bad(forged, site_ca.certificate, NOW, "signature does not verify")


def test_self_signed_impostor_of_a_user(site_ca: SiteCA) -> None:
    impostor_key = ec.generate_private_key(ec.SECP256R1())
    name = site_ca.certificate.subject  # issuer and subject both the CA's name
    forged = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(impostor_key.public_key())
        .serial_number(1)
        .not_valid_before(NOW)
        .not_valid_after(NOW + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(impostor_key, hashes.SHA256())
    )
    assert_bad(forged, site_ca.certificate, NOW, "signature does not verify")


def test_expired_at_the_time_asked(site_ca: SiteCA, key: Ed25519PrivateKey) -> None:
    cert = user_cert(site_ca, key, valid_days=30)
    verify_certificate(cert, site_ca.certificate, at=NOW + timedelta(days=29))  # signed then
    assert_bad(cert, site_ca.certificate, NOW + timedelta(days=31), "not valid at")


def test_not_yet_valid(site_ca: SiteCA, key: Ed25519PrivateKey) -> None:
    cert = user_cert(site_ca, key, now=NOW + timedelta(days=10))
    assert_bad(cert, site_ca.certificate, NOW + timedelta(days=9), "not valid at")


def test_ca_itself_not_valid_at_the_time(site_ca: SiteCA, key: Ed25519PrivateKey) -> None:
    cert = user_cert(site_ca, key, now=NOW)
    assert_bad(cert, site_ca.certificate, NOW - timedelta(seconds=1), "not valid at")


def test_tampered_der_byte(site_ca: SiteCA, key: Ed25519PrivateKey) -> None:
    der = user_cert(site_ca, key).public_bytes(serialization.Encoding.DER)
    at = der.index("Müller".encode())
    tampered_der = der[:at] + b"N" + der[at + 1 :]  # "Müller" becomes "Nüller"
    tampered = x509.load_der_x509_certificate(tampered_der)
    assert "Nüller" in tampered.subject.rfc4514_string()
    assert_bad(tampered, site_ca.certificate, NOW, "signature does not verify")


def test_every_tbs_byte_flip_is_caught(site_ca: SiteCA, key: Ed25519PrivateKey) -> None:
    cert = user_cert(site_ca, key)
    der, tbs = cert.public_bytes(serialization.Encoding.DER), cert.tbs_certificate_bytes
    start = der.index(tbs)
    for offset in range(start, start + len(tbs), 7):
        tampered = der[:offset] + bytes([der[offset] ^ 0x01]) + der[offset + 1 :]
        with pytest.raises((BadCertificate, ValueError)):
            verify_certificate(
                x509.load_der_x509_certificate(tampered), site_ca.certificate, at=NOW
            )


def test_ca_certificate_is_not_a_signer(site_ca: SiteCA) -> None:
    assert_bad(site_ca.certificate, site_ca.certificate, NOW, "CA certificate")


def test_user_certificate_is_not_a_trust_anchor(site_ca: SiteCA, key: Ed25519PrivateKey) -> None:
    cert = user_cert(site_ca, key)
    assert_bad(cert, cert, NOW, "trust anchor")


def test_certificate_without_digital_signature(site_ca: SiteCA, key: Ed25519PrivateKey) -> None:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "no usage")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(site_ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(2)
        .not_valid_before(NOW)
        .not_valid_after(NOW + timedelta(days=30))
        .sign(site_ca.key, hashes.SHA256())
    )
    assert_bad(cert, site_ca.certificate, NOW, "no KeyUsage")


def test_naive_time_is_refused(site_ca: SiteCA, key: Ed25519PrivateKey) -> None:
    with pytest.raises(ValueError):
        verify_certificate(user_cert(site_ca, key), site_ca.certificate, at=datetime(2025, 3, 2))
    with pytest.raises(ValueError):
        user_cert(site_ca, key, now=datetime(2025, 3, 2))
    with pytest.raises(ValueError):
        create_site_ca(organization="O", common_name="CA", now=datetime(2025, 3, 2))


# --- PEM and fingerprints ---


def test_pem_round_trip_and_fingerprint(site_ca: SiteCA, key: Ed25519PrivateKey) -> None:
    cert = user_cert(site_ca, key)
    text = certificate_pem(cert)
    assert text.startswith("-----BEGIN CERTIFICATE-----")
    assert load_certificate_pem(text) == cert
    fingerprint = certificate_fingerprint(cert)
    assert len(fingerprint) == 64 and fingerprint == cert.fingerprint(hashes.SHA256()).hex()


@pytest.mark.parametrize("text", ["", "not a certificate", "-----BEGIN CERTIFICATE-----\nAAAA\n"])
def test_garbage_pem(text: str) -> None:
    with pytest.raises(BadCertificate):
        load_certificate_pem(text)


# --- Storage ---


def test_save_and_load_encrypted(site_ca: SiteCA, tmp_path: Path) -> None:
    save_ca(site_ca, tmp_path / "ca", passphrase=b"s3cret")
    key_file = tmp_path / "ca" / CA_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert b"ENCRYPTED PRIVATE KEY" in key_file.read_bytes()
    loaded = load_ca(tmp_path / "ca", passphrase=b"s3cret")
    assert loaded.certificate == site_ca.certificate
    assert loaded.key.private_numbers() == site_ca.key.private_numbers()


def test_save_and_load_unencrypted(site_ca: SiteCA, tmp_path: Path) -> None:
    save_ca(site_ca, tmp_path, passphrase=None)
    assert b"BEGIN PRIVATE KEY" in (tmp_path / CA_KEY_FILE).read_bytes()
    assert load_ca(tmp_path, passphrase=None).certificate == site_ca.certificate
    with pytest.raises(KeyFormatError, match="unencrypted"):
        load_ca(tmp_path, passphrase=b"expected encryption")


def test_wrong_or_missing_passphrase(site_ca: SiteCA, tmp_path: Path) -> None:
    save_ca(site_ca, tmp_path, passphrase=b"s3cret")
    with pytest.raises(WrongPassword):
        load_ca(tmp_path, passphrase=b"guess")
    with pytest.raises(WrongPassword):
        load_ca(tmp_path, passphrase=None)


def test_save_never_overwrites(site_ca: SiteCA, other_ca: SiteCA, tmp_path: Path) -> None:
    save_ca(site_ca, tmp_path, passphrase=None)
    with pytest.raises(FileExistsError):
        save_ca(other_ca, tmp_path, passphrase=None)
    assert load_ca(tmp_path, passphrase=None).certificate == site_ca.certificate


def test_key_and_certificate_from_different_cas(
    site_ca: SiteCA, other_ca: SiteCA, tmp_path: Path
) -> None:
    save_ca(site_ca, tmp_path, passphrase=None)
    (tmp_path / CA_CERT_FILE).write_text(certificate_pem(other_ca.certificate))
    with pytest.raises(KeyFormatError, match="does not match"):
        load_ca(tmp_path, passphrase=None)


def test_garbage_key_file(site_ca: SiteCA, tmp_path: Path) -> None:
    save_ca(site_ca, tmp_path, passphrase=None)
    (tmp_path / CA_KEY_FILE).write_bytes(
        b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
    )
    with pytest.raises(KeyFormatError):
        load_ca(tmp_path, passphrase=None)


def test_ca_created_on_29_february() -> None:
    ca = create_site_ca(
        organization="Leap",
        common_name="Leap CA",
        now=datetime(2024, 2, 29, tzinfo=UTC),
        valid_years=1,
    )
    assert ca.certificate.not_valid_after_utc == datetime(2025, 2, 28, tzinfo=UTC)
