"""Storing the site CA on disk: ``ca-key.pem`` (mode 0600, optionally encrypted), ``ca-cert.pem``."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from signatures.ca_issue import SiteCA
from signatures.certificates import certificate_pem, load_certificate_pem
from signatures.errors import BadCertificate, KeyFormatError, WrongPassword

__all__ = ["CA_CERT_FILE", "CA_KEY_FILE", "load_ca", "save_ca"]

CA_KEY_FILE = "ca-key.pem"
CA_CERT_FILE = "ca-cert.pem"


def save_ca(ca: SiteCA, directory: Path, *, passphrase: bytes | None) -> None:
    """Write ``ca-key.pem`` (PKCS#8, mode 0600) and ``ca-cert.pem`` into ``directory``.

    The key is encrypted with ``BestAvailableEncryption`` when ``passphrase`` is given. The
    directory is created (mode 0700) if needed. Existing files are never overwritten.

    Raises:
        FileExistsError: either file already exists (replacing a CA key orphans every
            certificate it issued; remove the old files deliberately if that is meant).
    """
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    key_path, cert_path = directory / CA_KEY_FILE, directory / CA_CERT_FILE
    for path in (key_path, cert_path):
        if path.exists():
            raise FileExistsError(f"{path} already exists; not overwriting a CA")
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    key_pem = ca.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    _write_new(key_path, key_pem, 0o600)
    _write_new(cert_path, certificate_pem(ca.certificate).encode("ascii"), 0o644)


def load_ca(directory: Path, *, passphrase: bytes | None) -> SiteCA:
    """Read the CA that ``save_ca`` wrote and check that key and certificate belong together.

    Raises:
        WrongPassword: the passphrase is wrong, or missing for an encrypted key.
        KeyFormatError: the key is not an ECDSA P-256 PEM key, it is stored unencrypted
            although a passphrase was given, or it does not match the certificate.
        BadCertificate: the certificate is unparseable or not a CA certificate.
        FileNotFoundError: a file is missing.
    """
    key_pem = (directory / CA_KEY_FILE).read_bytes()
    certificate = load_certificate_pem((directory / CA_CERT_FILE).read_bytes())
    try:
        key = serialization.load_pem_private_key(key_pem, password=passphrase)
    except TypeError:
        if passphrase is None:
            raise WrongPassword("the CA key is encrypted: a passphrase is needed") from None
        raise KeyFormatError("the CA key is stored unencrypted") from None
    except ValueError as exc:
        if passphrase is not None and b"ENCRYPTED" in key_pem:
            raise WrongPassword("the passphrase does not open the CA key") from None
        raise KeyFormatError(f"the CA key file is malformed: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise KeyFormatError("the CA key is not an ECDSA P-256 key")
    if key.public_key() != certificate.public_key():
        raise KeyFormatError("the CA key does not match the CA certificate")
    constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    if not constraints.value.ca:
        raise BadCertificate("the CA certificate is not a CA certificate")
    return SiteCA(key=key, certificate=certificate)


def _write_new(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), mode)
        handle.write(data)
