"""Dependencies down: with Temporal unreachable, a command is refused in words within about two
seconds (503, Retry-After) and nothing is recorded, /api/health still says the process lives,
and /api/ready names what is missing; with everything up, /api/ready says ready."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.client import Client

from tests.api.harness import Ebr, seeded_store, serve_api, site_trust
from tests.api.steps import assert_error, batch_number

pytestmark = pytest.mark.e2e


def _dead_port() -> int:
    """A port nothing listens on (bound, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
async def without_temporal(tmp_path: Path) -> AsyncIterator[Ebr]:
    """The API on a seeded store, its Temporal client pointing at a port nobody serves."""
    trust = site_trust(tmp_path / "data")
    dead = await Client.connect(f"127.0.0.1:{_dead_port()}", lazy=True)
    with seeded_store("sqlite", tmp_path / "store", trust) as url:
        async with serve_api(temporal=dead, store_url=url, data_dir=tmp_path / "data",
                             task_queue="nobody-polls", trust=trust) as app:  # fmt: skip
            yield app


async def test_a_command_is_refused_quickly_when_temporal_is_down(without_temporal: Ebr) -> None:
    ebr = without_temporal
    body = {"recipe_code": "DEMO-SHORT", "recipe_version": 1, "batch_number": batch_number(),
            "planned_quantity": {"value": "100", "unit": "kg"}}  # fmt: skip
    started = time.monotonic()
    answer = await ebr.post("sam", "/api/batches", json=body)
    seconds = time.monotonic() - started
    error = assert_error(answer, 503, "temporal_unavailable")
    assert "nothing was recorded" in error["message"]
    assert answer.headers["retry-after"] == "5"
    assert seconds < 5, f"answered after {seconds:.1f} s"
    listed = await ebr.get("sam", "/api/batches")
    assert listed.status_code == 200 and listed.json() == [], "reads still work; nothing started"


async def test_health_lives_and_ready_names_temporal(without_temporal: Ebr) -> None:
    ebr = without_temporal
    assert (await ebr.http.get("/api/health")).json() == {"status": "ok"}
    answer = await ebr.http.get("/api/ready")
    assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
    checks = answer.json()["checks"]
    assert checks["store"] == "ok"
    assert checks["temporal"] != "ok" and checks["worker"] == "not asked"


async def test_ready_when_the_store_temporal_and_a_worker_answer(ebr: Ebr) -> None:
    answer = await ebr.http.get("/api/ready")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "status": "ready",
        "checks": {"store": "ok", "temporal": "ok", "worker": "ok"},
    }
