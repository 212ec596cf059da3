"""A running ebr for API tests: store, worker and HTTP API served by uvicorn over real HTTP.

The API runs in the test's own event loop, as ``ebr.runtime.run_all`` runs it: ``uvicorn.Server``
serving as a task, stopped by ``should_exit``. Workers are either in this process
(``ebr.worker.build_worker``) or real ``ebr worker`` subprocesses that a test may SIGKILL.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import Engine
from temporalio.client import Client

from api.app import create_app
from api.context import ApiContext
from ebr.seed import demo_password, seed_demo
from ebr.settings import Settings
from ebr.store.db import make_engine, migrate
from ebr.trust import SiteTrust, load_or_create_trust
from ebr.worker import build_worker
from tests.dbfixtures import postgres_database, sqlite_database
from tests.temporal_envs import client_for

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TOKEN_SECRET = "ebr-api-tests-secret-with-more-than-32-bytes"
STATION = "line-7 terminal"
SITE_NAME = "ebr api tests"


# The shared API of a whole test run: demo users' tokens are signed in once and reused for the
# run (longer than the 15-minute idle lapse), and many tests fail sign-ins from 127.0.0.1 on
# purpose (which would throttle each other). The idle lapse and the throttle are tested on an
# API of their own, with a clock the test moves (``tests.api.clocked``).
SHARED_SITE: dict[str, float] = {"idle_minutes": 24 * 60, "throttle_seconds": 0}


def password_of(user_id: str) -> str:
    """The published password of a demo user (``ebr.seed``)."""
    return demo_password(user_id)


def sign(user_id: str, meaning: str, *, password: str | None = None) -> dict[str, str]:
    """The ``signature`` body of a signed step call: both components, as at a session's start."""
    return {
        "meaning": meaning,
        "user_id": user_id,
        "password": password if password is not None else password_of(user_id),
    }


def site_trust(data_dir: Path) -> SiteTrust:
    """The site CA and checkpoint key in ``data_dir`` (made on first use, as ``ebr`` does)."""
    return load_or_create_trust(data_dir, site_name=SITE_NAME, passphrase=None)


@contextmanager
def seeded_store(backend: str, directory: Path, trust: SiteTrust) -> Iterator[str]:
    """A migrated store seeded with the demo users (keys certified by ``trust``) and example
    recipes; yields its URL."""
    database = sqlite_database(directory) if backend == "sqlite" else postgres_database()
    with database as url:
        migrate(url)
        engine = make_engine(url)
        try:
            seed_demo(engine, trust)
        finally:
            engine.dispose()
        yield url


@dataclass
class Ebr:
    """A running ebr and a way to talk to it as any demo user."""

    base_url: str
    http: httpx.AsyncClient
    engine: Engine
    temporal: Client
    task_queue: str
    store_url: str
    settings: Settings
    trust: SiteTrust
    _tokens: dict[str, str] = field(default_factory=dict)

    @property
    def data_dir(self) -> Path:
        return self.settings.resolved_data_dir

    async def token(self, user_id: str, password: str | None = None) -> str:
        """A bearer token for a user (a demo user by default; signed in once, then reused)."""
        if user_id not in self._tokens:
            secret = password if password is not None else password_of(user_id)
            answer = await self.http.post(
                "/api/auth/token", data={"username": user_id, "password": secret}
            )
            assert answer.status_code == 200, answer.text
            self._tokens[user_id] = answer.json()["access_token"]
        return self._tokens[user_id]

    def forget_token(self, user_id: str) -> None:
        """Sign in afresh at the next ``token`` (the cached token's session has ended)."""
        self._tokens.pop(user_id, None)

    async def headers(self, user_id: str, station: str | None = STATION) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {await self.token(user_id)}"}
        if station is not None:
            headers["X-EBR-Station"] = station
        return headers

    async def get(self, user_id: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.get(path, headers=await self.headers(user_id), **kwargs)

    async def post(self, user_id: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.post(path, headers=await self.headers(user_id), **kwargs)


@asynccontextmanager
async def serve_api(
    *, temporal: Client, store_url: str, data_dir: Path, task_queue: str, trust: SiteTrust
) -> AsyncIterator[Ebr]:
    """Serve the API on a free 127.0.0.1 port in this event loop until the block ends."""
    settings = Settings(
        data_dir=data_dir,
        database_url=store_url,
        temporal_address=temporal.service_client.config.target_host,
        temporal_namespace=temporal.namespace,
        task_queue=task_queue,
        jwt_secret=TOKEN_SECRET,
        **SHARED_SITE,
    )
    engine = make_engine(store_url)
    reader = make_engine(store_url, read_only=True)  # as ebr.runtime wires it
    context = ApiContext(
        settings=settings,
        engine=engine,
        reader=reader,
        temporal=temporal,
        token_secret=TOKEN_SECRET,
        trust=trust,
    )
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(
        create_app(context), log_level="warning", lifespan="off", timeout_graceful_shutdown=5
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        while not server.started:
            if serving.done():
                serving.result()
            await asyncio.sleep(0.02)
        base_url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base_url, timeout=60.0) as http:
            yield Ebr(
                base_url=base_url,
                http=http,
                engine=engine,
                temporal=temporal,
                task_queue=task_queue,
                store_url=store_url,
                settings=settings,
                trust=trust,
            )
    finally:
        server.should_exit = True
        await serving
        listener.close()
        reader.dispose()
        engine.dispose()


@asynccontextmanager
async def running_ebr(
    *,
    temporal: Client,
    store_url: str,
    data_dir: Path,
    in_process_worker: bool = True,
    namespace: str | None = None,
) -> AsyncIterator[Ebr]:
    """The API on a unique task queue, with (by default) a worker in this process serving it,
    in the store's own Temporal namespace (``tests.temporal_envs.NAMESPACES``; by default the
    one for the store's backend).

    Both use the site trust in ``data_dir``, as ``ebr worker`` processes started for it do.
    """
    task_queue = f"api-tests-{uuid.uuid4().hex[:10]}"
    backend = "sqlite" if store_url.startswith("sqlite") else "postgres"
    temporal = await client_for(temporal, namespace or f"ebr-api-{backend}")
    trust = site_trust(data_dir)
    async with AsyncExitStack() as stack:
        if in_process_worker:
            worker_engine = make_engine(store_url)
            stack.callback(worker_engine.dispose)
            worker = build_worker(temporal, worker_engine, task_queue=task_queue, trust=trust)
            await stack.enter_async_context(worker)
        yield await stack.enter_async_context(
            serve_api(
                temporal=temporal,
                store_url=store_url,
                data_dir=data_dir,
                task_queue=task_queue,
                trust=trust,
            )
        )


@dataclass
class WorkerProcess:
    """A worker running as its own OS process, as in production; the test may kill it."""

    process: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        """SIGKILL: no shutdown, no goodbye to the Temporal server."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM: the worker's own graceful shutdown."""
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    async def exited(self, timeout: float) -> int:
        """Wait for the process to end on its own; return its exit code (negative: a signal)."""
        return await asyncio.to_thread(self.process.wait, timeout)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def start_worker_process(
    ebr: Ebr, log: Path, *, crash_after_step: str | None = None
) -> WorkerProcess:
    """Start ``ebr worker`` (or, with ``crash_after_step``, the crashing worker) for ``ebr``."""
    env = {
        **os.environ,
        "EBR_TEMPORAL_ADDRESS": ebr.settings.resolved_temporal_address,
        "EBR_TEMPORAL_NAMESPACE": ebr.settings.temporal_namespace,
        "EBR_DATABASE_URL": ebr.store_url,
        "EBR_TASK_QUEUE": ebr.task_queue,
        "EBR_DATA_DIR": str(ebr.settings.resolved_data_dir),
    }
    if crash_after_step is None:
        command = [str(BIN / "ebr"), "worker"]
    else:
        command = [sys.executable, "-m", "tests.api.crashing_worker", crash_after_step]
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return WorkerProcess(process=process, log=log)
