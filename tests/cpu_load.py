"""A machine under load, for tests of races: one process spinning on each core while a test runs.

A race between an action and the read that follows it (a page that shows the state before the
action) shows on a busy machine far more often than on an idle one; CI runs on busy machines.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from contextlib import contextmanager


def _spin() -> None:
    while True:
        pass


@contextmanager
def cores_busy(processes: int | None = None) -> Iterator[int]:
    """Spin ``processes`` processes (default: one per core) until the block ends; yields how
    many spin."""
    count = processes or os.cpu_count() or 2
    spinners = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(count)]
    for spinner in spinners:
        spinner.start()
    try:
        yield count
    finally:
        for spinner in spinners:
            spinner.kill()
        for spinner in spinners:
            spinner.join(timeout=5)
