"""What the API needs from the rest of the system, built by the composition root (ebr.cli)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from temporalio.client import Client

from ebr.settings import Settings
from ebr.trust import SiteTrust


@dataclass(frozen=True)
class ApiContext:
    """``engine`` writes (master data); ``reader`` serves every query (see make_engine read_only)."""

    settings: Settings
    engine: Engine
    reader: Engine
    temporal: Client
    token_secret: str
    trust: SiteTrust

    @property
    def reads(self) -> Engine:
        return self.reader
