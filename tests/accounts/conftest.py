"""Fixtures for the account controls: a fresh store on SQLite and on PostgreSQL (the store tests'
fixtures), the site trust for signing keys, and the controls in force at their defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from ebr.accounts import Controls
from ebr.settings import Settings
from ebr.trust import SiteTrust, load_or_create_trust
from tests.store.conftest import blank_url, engine, store_url

__all__ = ["blank_url", "controls", "engine", "store_url", "trust"]


@pytest.fixture
def controls() -> Controls:
    """The defaults a site gets: 5 failures lock for 30 minutes, delays from 1 second."""
    return Controls.of(Settings())


@pytest.fixture(scope="module")
def trust(tmp_path_factory: pytest.TempPathFactory) -> SiteTrust:
    folder: Path = tmp_path_factory.mktemp("trust")
    return load_or_create_trust(folder, site_name="accounts tests", passphrase=None)
