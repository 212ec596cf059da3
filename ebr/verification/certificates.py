"""Checking the certificates that bind keys to people (``user_keys``) and to the site's checkpoints."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ebr.verification.evidence import KeyEvidence
from ebr.verification.findings import Inconsistency
from signatures.ca import (
    certificate_user_id,
    load_certificate_pem,
    signer_public_key,
    verify_certificate,
)
from signatures.errors import SignatureError
from signatures.keys import public_key_id

__all__ = ["TrustedKey", "check_site_certificate", "check_user_keys"]


@dataclass(frozen=True)
class TrustedKey:
    """A user key whose certificate the CA issued: whom it names and when it may sign.

    ``not_before``/``not_after`` are the certificate's validity narrowed to the CA's, so checking
    a record's time against them is what ``verify_certificate(at=signed_at)`` would conclude.
    """

    key_id: str
    user_id: str
    public_key: Ed25519PublicKey
    not_before: datetime
    not_after: datetime
    retired_at: datetime | None


def check_user_keys(keys: Iterable[KeyEvidence], ca: x509.Certificate) -> dict[str, TrustedKey]:
    """Check every key's certificate; return the trusted keys by key id.

    For each key: the certificate parses, the site CA issued it and it was valid at the key's
    ``valid_from`` (``verify_certificate``), it holds an Ed25519 key whose id is the row's
    ``key_id``, and its subject UID is the row's ``user_id``.

    Raises:
        Inconsistency: table ``user_keys``, entry ``key <key id>``, at the first failing key.
    """
    trusted: dict[str, TrustedKey] = {}
    for key in keys:
        where = {"table": "user_keys", "entry": f"key {key.key_id}"}
        try:
            certificate = load_certificate_pem(key.certificate_pem)
            verify_certificate(certificate, ca, at=key.valid_from)
            public_key = signer_public_key(certificate)
        except SignatureError as exc:
            raise Inconsistency(**where, problem=f"certificate refused: {exc.message}") from None
        if public_key_id(public_key) != key.key_id:
            raise Inconsistency(
                **where,
                problem=f"the certificate holds key {public_key_id(public_key)}, not this key id",
            )
        named = certificate_user_id(certificate)
        if named != key.user_id:
            raise Inconsistency(
                **where, problem=f"the certificate names user {named!r}, the row {key.user_id!r}"
            )
        trusted[key.key_id] = TrustedKey(
            key_id=key.key_id,
            user_id=key.user_id,
            public_key=public_key,
            not_before=max(certificate.not_valid_before_utc, ca.not_valid_before_utc),
            not_after=min(certificate.not_valid_after_utc, ca.not_valid_after_utc),
            retired_at=key.retired_at,
        )
    return trusted


def check_site_certificate(
    certificate: x509.Certificate, ca: x509.Certificate, *, at: datetime, entry: str
) -> Ed25519PublicKey:
    """Check the checkpoint certificate against the CA at ``at``; return its Ed25519 key.

    Raises:
        Inconsistency: table ``audit_checkpoints``, the given ``entry``.
    """
    try:
        verify_certificate(certificate, ca, at=at)
        return signer_public_key(certificate)
    except SignatureError as exc:
        raise Inconsistency(
            table="audit_checkpoints",
            entry=entry,
            problem=f"the checkpoint certificate is refused: {exc.message}",
        ) from None
