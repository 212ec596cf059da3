"""A whole ebr in this process for browser tests: seeded SQLite store, worker, API over HTTP."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import Engine
from temporalio.client import Client

from api.app import create_app
from api.context import ApiContext
from ebr.demo_recipes import approve_examples
from ebr.seed import seed_demo
from ebr.settings import Settings
from ebr.store.db import make_engine, migrate
from ebr.trust import SiteTrust, load_or_create_trust
from ebr.worker import build_worker
from tests.api.harness import SHARED_SITE
from tests.temporal_envs import client_for

SECRET = "web-test-secret-" + "0123456789abcdef" * 3


@dataclass(frozen=True)
class Site:
    """A running ebr: its address, its store for checking what was (not) recorded, its trust."""

    base_url: str
    engine: Engine
    trust: SiteTrust
    settings: Settings


@asynccontextmanager
async def running_site(client: Client, data_dir: Path) -> AsyncIterator[Site]:
    client = await client_for(client, "ebr-web")
    url = f"sqlite:///{data_dir / 'ebr.db'}"
    migrate(url)
    trust = load_or_create_trust(data_dir, site_name="Web Test Site", passphrase=None)
    engine = make_engine(url)
    reader = make_engine(url, read_only=True)
    seed_demo(engine, trust)
    settings = Settings(
        data_dir=data_dir,
        task_queue=f"web-{uuid.uuid4().hex[:8]}",
        temporal_namespace=client.namespace,
        jwt_secret=SECRET,
        **SHARED_SITE,
    )
    context = ApiContext(
        settings=settings,
        engine=engine,
        reader=reader,
        temporal=client,
        token_secret=SECRET,
        trust=trust,
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(context), log_level="warning"))
    try:
        async with build_worker(client, engine, task_queue=settings.task_queue, trust=trust):
            serving = asyncio.create_task(server.serve(sockets=[sock]))
            while not server.started:
                if serving.done():
                    serving.result()
                await asyncio.sleep(0.02)
            base_url = f"http://127.0.0.1:{port}"
            async with httpx.AsyncClient(base_url=base_url, timeout=120.0) as http:
                await approve_examples(http)  # the demo's recipes, through change control
            try:
                yield Site(
                    base_url=base_url,
                    engine=engine,
                    trust=trust,
                    settings=settings,
                )
            finally:
                server.should_exit = True
                await serving
    finally:
        sock.close()
        reader.dispose()
        engine.dispose()
