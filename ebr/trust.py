"""The site's trust material, kept in the data directory and created on first start.

``pki/`` holds the site CA (it certifies every user's signing key and the site's own keys) and
the checkpoint key that signs the audit log's checkpoints. Auditors need only ``ca-cert.pem`` to
verify everything offline (``ebr ca export``).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from signatures.ca import (
    CA_CERT_FILE,
    SiteCA,
    certificate_pem,
    create_site_ca,
    issue_site_signing_certificate,
    load_ca,
    load_certificate_pem,
    save_ca,
)
from signatures.keys import public_key_id

CHECKPOINT_KEY_FILE = "checkpoint-key.pem"
CHECKPOINT_CERT_FILE = "checkpoint-cert.pem"


@dataclass(frozen=True)
class SiteTrust:
    ca: SiteCA
    checkpoint_key: Ed25519PrivateKey
    checkpoint_certificate: x509.Certificate
    origin: str

    @property
    def checkpoint_key_id(self) -> str:
        return public_key_id(self.checkpoint_key.public_key())


def pki_dir(data_dir: Path) -> Path:
    return data_dir / "pki"


def load_or_create_trust(data_dir: Path, *, site_name: str, passphrase: str | None) -> SiteTrust:
    """The site's CA and checkpoint key; made once, under a file lock (API and workers may race)."""
    directory = pki_dir(data_dir)
    secret = passphrase.encode() if passphrase else None
    with _locked(data_dir):
        if not (directory / CA_CERT_FILE).exists():
            _create(directory, site_name=site_name, passphrase=secret)
    ca = load_ca(directory, passphrase=secret)
    key = serialization.load_pem_private_key(
        (directory / CHECKPOINT_KEY_FILE).read_bytes(), password=secret
    )
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{directory / CHECKPOINT_KEY_FILE} is not an Ed25519 key")
    certificate = load_certificate_pem((directory / CHECKPOINT_CERT_FILE).read_bytes())
    return SiteTrust(
        ca=ca, checkpoint_key=key, checkpoint_certificate=certificate, origin=site_name
    )


def load_ca_certificate(data_dir: Path) -> x509.Certificate:
    return load_certificate_pem((pki_dir(data_dir) / CA_CERT_FILE).read_bytes())


def _create(directory: Path, *, site_name: str, passphrase: bytes | None) -> None:
    now = datetime.now(UTC)
    ca = create_site_ca(organization=site_name, common_name=f"{site_name} EBR CA", now=now)
    save_ca(ca, directory, passphrase=passphrase)
    key = Ed25519PrivateKey.generate()
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    _write(directory / CHECKPOINT_KEY_FILE, pem, 0o600)
    certificate = issue_site_signing_certificate(
        ca, purpose="audit checkpoints", public_key=key.public_key(), now=now
    )
    _write(directory / CHECKPOINT_CERT_FILE, certificate_pem(certificate).encode(), 0o644)


def _write(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


@contextmanager
def _locked(data_dir: Path) -> Iterator[None]:
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / ".pki.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
