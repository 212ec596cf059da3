"""Fixtures for API tests: a running ebr over real HTTP on SQLite and on PostgreSQL.

The session has one data directory with its site trust (CA and checkpoint key), one store per
backend (migrated, seeded with the demo users, their signing keys certified by that CA, and the
example recipes) and, per backend, one API with an in-process worker on its own task queue, all on
the real Temporal dev server: started once, since starting them is most of a short test's time.
Tests keep out of each other's way with unique batch numbers, recipe codes and user ids (a test
that locks an account or changes a password makes its own user: see ``tests.api.people``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from ebr.demo_recipes import approve_examples
from ebr.trust import SiteTrust
from tests.api.harness import Ebr, running_ebr, seeded_store, site_trust

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def trust(data_dir: Path) -> SiteTrust:
    """The site trust, kept in the data directory (``pki/``) as ``ebr`` keeps it."""
    return site_trust(data_dir)


@pytest.fixture(scope="session", params=BACKENDS)
def store_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, trust: SiteTrust
) -> Iterator[str]:
    """A migrated, demo-seeded record store on one backend, shared by every API test."""
    with seeded_store(request.param, tmp_path_factory.mktemp("store"), trust) as url:
        yield url


@pytest.fixture(scope="session")
async def ebr(dev_env: WorkflowEnvironment, store_url: str, data_dir: Path) -> AsyncIterator[Ebr]:
    """The API and a worker in this process, over real HTTP, on the real dev server."""
    async with running_ebr(temporal=dev_env.client, store_url=store_url, data_dir=data_dir) as app:
        await approve_examples(app.http)  # the demo's recipes, through change control
        yield app
