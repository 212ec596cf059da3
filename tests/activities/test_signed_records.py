"""The signed-record activity's certificate checks, including the ones it remembers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from activities.signed_records import SignedRecordActivities
from ebr.trust import load_or_create_trust
from signatures.ca import certificate_pem, create_site_ca, issue_user_certificate
from signatures.errors import BadCertificate
from signatures.keys import generate_key


def test_a_remembered_certificate_is_still_checked_for_validity_at_each_signing(
    engine: Engine, tmp_path: Path
) -> None:
    trust = load_or_create_trust(tmp_path, site_name="Site", passphrase=None)
    now = datetime.now(UTC)
    key = generate_key()
    pem = certificate_pem(
        issue_user_certificate(
            trust.ca,
            user_id="olga",
            full_name="Olga",
            now=now,
            public_key=key.public_key(),
            valid_days=1,
        )
    )
    activities = SignedRecordActivities(engine, trust.ca.certificate)
    first = activities._signer_key(pem, at=now)
    assert first.public_bytes_raw() == key.public_key().public_bytes_raw()
    assert activities._signer_key(pem, at=now + timedelta(hours=1)) is not None  # remembered
    with pytest.raises(BadCertificate, match="not valid at"):
        activities._signer_key(pem, at=now + timedelta(days=2))


def test_a_certificate_from_another_ca_is_refused_and_not_remembered(
    engine: Engine, tmp_path: Path
) -> None:
    trust = load_or_create_trust(tmp_path, site_name="Site", passphrase=None)
    now = datetime.now(UTC)
    impostor = create_site_ca(organization="Site", common_name="Site EBR CA", now=now)
    key = generate_key()
    pem = certificate_pem(
        issue_user_certificate(
            impostor, user_id="olga", full_name="Olga", now=now, public_key=key.public_key()
        )
    )
    activities = SignedRecordActivities(engine, trust.ca.certificate)
    for _ in range(2):
        with pytest.raises(BadCertificate):
            activities._signer_key(pem, at=now)
