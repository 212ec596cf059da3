"""``ebr up`` as a service manager runs it: SIGTERM stops everything it started, and after a
SIGKILL (no cleanup at all) the next start finds the dev server it left and starts cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.api.harness import BIN, REPO

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _up(data_dir: Path, ports: dict[str, int], log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EBR_")}
    env |= {"EBR_DATA_DIR": str(data_dir), "EBR_TEMPORAL_PORT": str(ports["temporal"]),
            "EBR_TEMPORAL_UI_PORT": str(ports["ui"]), "EBR_API_PORT": str(ports["api"])}  # fmt: skip
    return subprocess.Popen([str(BIN / "ebr"), "up", "--no-demo"], cwd=REPO, env=env,
                            stdout=log.open("ab"), stderr=subprocess.STDOUT)  # fmt: skip


def _ready(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"ebr up did not answer within 90 s:\n{log.read_text()}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().split(") ", 1)[1][0] != "Z"


def _gone(pid: int, within: float = 20) -> bool:
    deadline = time.monotonic() + within
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    return not _alive(pid)


def test_sigterm_stops_everything_and_a_sigkill_leaves_nothing_in_the_way(tmp_path: Path) -> None:
    data_dir, log = tmp_path / "data", tmp_path / "up.log"
    ports = {"temporal": _free_port(), "ui": _free_port(), "api": _free_port()}
    pid_file = data_dir / "temporal.pid"

    first = _up(data_dir, ports, log)
    _ready(first, ports["api"], log)
    server = int(pid_file.read_text())
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=60) == 0, log.read_text()
    assert _gone(server), "SIGTERM left the dev server running"
    assert not pid_file.exists()
    assert "audit log checkpoint at stop" in log.read_text()

    second = _up(data_dir, ports, log)
    _ready(second, ports["api"], log)
    left = int(pid_file.read_text())
    second.kill()  # SIGKILL: nothing is cleaned up
    second.wait(timeout=30)
    assert _alive(left), "the dev server outlives a SIGKILLed ebr up"

    third = _up(data_dir, ports, log)
    try:
        _ready(third, ports["api"], log)
        assert _gone(left, within=1), "the next start stopped the server it found"
        assert int(pid_file.read_text()) != left
    finally:
        third.send_signal(signal.SIGINT)
        third.wait(timeout=60)
    assert not pid_file.exists()
