"""The site's document-signing key: made once under pki/, certified by the CA, kept private."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from ebr.report.signing_key import (
    DOCUMENT_CERT_FILE,
    DOCUMENT_KEY_FILE,
    load_or_create_document_key,
)
from ebr.trust import load_or_create_trust
from signatures.ca import verify_certificate


def test_made_once_and_certified_by_the_site_ca(tmp_path: Path) -> None:
    trust = load_or_create_trust(tmp_path, site_name="Key Site", passphrase=None)
    first = load_or_create_document_key(tmp_path, ca=trust.ca)
    again = load_or_create_document_key(tmp_path, ca=trust.ca)
    assert first.certificate == again.certificate
    assert isinstance(first.key.curve, ec.SECP256R1)
    verify_certificate(first.certificate, trust.ca.certificate, at=datetime.now(UTC))
    assert first.certificate.subject.rfc4514_string() == "CN=Key Site document signing,O=Key Site"
    mode = stat.S_IMODE((tmp_path / "pki" / DOCUMENT_KEY_FILE).stat().st_mode)
    assert mode == 0o600


def test_a_passphrase_protects_the_key(tmp_path: Path) -> None:
    trust = load_or_create_trust(tmp_path, site_name="Key Site", passphrase="s3cret")
    load_or_create_document_key(tmp_path, ca=trust.ca, passphrase="s3cret")
    assert b"ENCRYPTED" in (tmp_path / "pki" / DOCUMENT_KEY_FILE).read_bytes()
    with pytest.raises(TypeError):  # cryptography: a password is needed for an encrypted key
        load_or_create_document_key(tmp_path, ca=trust.ca)


def test_a_certificate_for_another_key_is_refused(tmp_path: Path) -> None:
    trust = load_or_create_trust(tmp_path, site_name="Key Site", passphrase=None)
    load_or_create_document_key(tmp_path, ca=trust.ca)
    other = tmp_path / "other"
    load_or_create_document_key(other, ca=trust.ca)
    (tmp_path / "pki" / DOCUMENT_CERT_FILE).write_bytes(
        (other / "pki" / DOCUMENT_CERT_FILE).read_bytes()
    )
    with pytest.raises(ValueError, match="does not certify the document key"):
        load_or_create_document_key(tmp_path, ca=trust.ca)
