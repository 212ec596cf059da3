"""Fixtures for the signatures tests: a fixed clock, a site CA, and signing keys."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from signatures.ca import SiteCA, create_site_ca

NOW = datetime(2025, 3, 1, 8, 15, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def site_ca() -> SiteCA:
    return create_site_ca(organization="Acme Pharma GmbH", common_name="Acme Site CA", now=NOW)


@pytest.fixture(scope="session")
def other_ca() -> SiteCA:
    return create_site_ca(organization="Other Corp", common_name="Other CA", now=NOW)


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def other_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()
