"""What the API needs from the rest of the system, built by the composition root (ebr.cli)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine
from temporalio.client import Client

from ebr.settings import Settings
from ebr.trust import SiteTrust


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ApiContext:
    """``engine`` writes (master data); ``reader`` serves every query (see make_engine read_only).

    ``clock`` tells the account controls the time (sessions' idle lapse, sign-in throttling and
    lockouts): the system clock, or a test's, so that a test of a 30-minute cooling period does
    not wait 30 minutes.
    """

    settings: Settings
    engine: Engine
    reader: Engine
    temporal: Client
    token_secret: str
    trust: SiteTrust
    clock: Callable[[], datetime] = field(default=utc_now)

    @property
    def reads(self) -> Engine:
        return self.reader

    def now(self) -> datetime:
        return self.clock()
