"""The site's document-signing key (ECDSA P-256) and its certificate, kept under ``pki/``.

Made on first use and certified by the site CA (``purpose="document signing"``); the CA
(``ebr.trust``) is what auditors trust, so the key may be replaced without re-issuing reports.
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from signatures.ca import (
    SiteCA,
    certificate_pem,
    issue_site_signing_certificate,
    load_certificate_pem,
)

__all__ = [
    "DOCUMENT_CERT_FILE",
    "DOCUMENT_KEY_FILE",
    "DocumentKey",
    "load_or_create_document_key",
    "transient_document_key",
]

DOCUMENT_KEY_FILE = "document-key.pem"
DOCUMENT_CERT_FILE = "document-cert.pem"
PURPOSE = "document signing"


@dataclass(frozen=True)
class DocumentKey:
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate


def load_or_create_document_key(
    data_dir: Path, *, ca: SiteCA, passphrase: str | None = None
) -> DocumentKey:
    """The document-signing key under ``<data_dir>/pki``, made and certified once.

    Creation runs under the same file lock as ``ebr.trust`` so racing processes make one key.

    Raises:
        ValueError: the stored key is not an ECDSA P-256 key, or its certificate holds another.
    """
    directory = data_dir / "pki"
    secret = passphrase.encode() if passphrase else None
    directory.mkdir(parents=True, exist_ok=True)
    with (data_dir / ".pki.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (directory / DOCUMENT_CERT_FILE).exists():
                _create(directory, ca, secret)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    key = serialization.load_pem_private_key(
        (directory / DOCUMENT_KEY_FILE).read_bytes(), password=secret
    )
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError(f"{directory / DOCUMENT_KEY_FILE} is not an ECDSA P-256 key")
    certificate = load_certificate_pem((directory / DOCUMENT_CERT_FILE).read_bytes())
    if certificate.public_key() != key.public_key():
        raise ValueError(f"{directory / DOCUMENT_CERT_FILE} does not certify the document key")
    return DocumentKey(key=key, certificate=certificate)


def transient_document_key(ca: SiteCA) -> DocumentKey:
    """A document-signing key certified by ``ca`` and kept only in memory.

    For a process that was given no data directory: its reports verify against the CA like any
    other (auditors trust the CA, not one key), but each such process signs with its own key.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = issue_site_signing_certificate(
        ca, purpose=PURPOSE, public_key=key.public_key(), now=datetime.now(UTC)
    )
    return DocumentKey(key=key, certificate=certificate)


def _create(directory: Path, ca: SiteCA, secret: bytes | None) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(secret) if secret else serialization.NoEncryption()
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    certificate = issue_site_signing_certificate(
        ca, purpose=PURPOSE, public_key=key.public_key(), now=datetime.now(UTC)
    )
    _write(directory / DOCUMENT_KEY_FILE, pem, 0o600)
    _write(directory / DOCUMENT_CERT_FILE, certificate_pem(certificate).encode(), 0o644)


def _write(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
