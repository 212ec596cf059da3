"""An API whose clock the test moves: for idle lapses, throttling delays and cooling periods of
minutes, tested without waiting for them.

The app runs in the test's event loop through httpx's ASGI transport (no server, no port), on a
store of its own, with the site's default account controls. Each client says which network
address it comes from, so an attacker's address and a real user's differ as they would. The
batch routes are not used here, so no Temporal client is given.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import httpx
from fastapi import FastAPI
from sqlalchemy import Engine

from api.app import create_app
from api.context import ApiContext
from ebr.settings import Settings
from ebr.store.db import make_engine
from ebr.trust import SiteTrust
from tests.api.harness import TOKEN_SECRET

__all__ = ["Clocked", "FakeClock", "clocked_api"]


class FakeClock:
    """The time, as the test says: it starts now and moves when told, plus a microsecond at each
    reading (two events never share a time, as on a real clock)."""

    def __init__(self) -> None:
        self._now = datetime.now(UTC)

    def __call__(self) -> datetime:
        self._now += timedelta(microseconds=1)
        return self._now

    def advance(self, **delta: float) -> None:
        self._now += timedelta(**delta)


@dataclass
class Clocked:
    """The clocked API on its store: clients from any address, and the store to check."""

    app: FastAPI
    clock: FakeClock
    engine: Engine
    settings: Settings
    trust: SiteTrust

    def client(self, address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, client=(address, 50123))
        return httpx.AsyncClient(transport=transport, base_url="http://ebr.test")


@contextmanager
def clocked_api(store_url: str, trust: SiteTrust, **settings: Any) -> Iterator[Clocked]:
    """The API on ``store_url`` with a fake clock and the default controls (``settings``
    overrides some)."""
    engine = make_engine(store_url)
    reader = make_engine(store_url, read_only=True)
    clock = FakeClock()
    config = Settings(database_url=store_url, jwt_secret=TOKEN_SECRET, **settings)
    context = ApiContext(
        settings=config,
        engine=engine,
        reader=reader,
        temporal=cast(Any, None),  # no route used here reaches Temporal
        token_secret=TOKEN_SECRET,
        trust=trust,
        clock=clock,
    )
    try:
        yield Clocked(
            app=create_app(context), clock=clock, engine=engine, settings=config, trust=trust
        )
    finally:
        reader.dispose()
        engine.dispose()
