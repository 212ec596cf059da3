"""A time-stamping authority for tests: pyHanko's in-process DummyTimeStamper with an RSA key
(the only kind it signs with), certified by a given CA for time-stamping alone."""

from __future__ import annotations

from datetime import datetime, timedelta

from asn1crypto import keys as asn1_keys  # type: ignore[import-untyped]  # no type information
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from signatures.ca import SiteCA

__all__ = ["make_tsa"]


def make_tsa(
    ca: SiteCA, *, now: datetime, name: str = "Test TSA", fixed_dt: datetime | None = None
) -> DummyTimeStamper:
    """A TSA whose certificate ``ca`` issued: KeyUsage digitalSignature, critical EKU
    timeStamping; the token's time is ``fixed_dt`` when given, else the clock's."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(ca.key, hashes.SHA256())
    )
    der_key = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(der_key),
        fixed_dt=fixed_dt,
    )
