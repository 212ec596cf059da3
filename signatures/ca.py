"""The site's internal certificate authority: the public face of ``ca_issue``, ``ca_store``
and ``certificates`` (create, store, issue, verify)."""

from __future__ import annotations

from signatures.ca_issue import (
    SiteCA,
    create_site_ca,
    issue_site_signing_certificate,
    issue_user_certificate,
)
from signatures.ca_store import CA_CERT_FILE, CA_KEY_FILE, load_ca, save_ca
from signatures.certificates import (
    certificate_fingerprint,
    certificate_pem,
    certificate_user_id,
    load_certificate_pem,
    signer_public_key,
    verify_certificate,
)

__all__ = [
    "CA_CERT_FILE",
    "CA_KEY_FILE",
    "SiteCA",
    "certificate_fingerprint",
    "certificate_pem",
    "certificate_user_id",
    "create_site_ca",
    "issue_site_signing_certificate",
    "issue_user_certificate",
    "load_ca",
    "load_certificate_pem",
    "save_ca",
    "signer_public_key",
    "verify_certificate",
]
