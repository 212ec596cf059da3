"""Running ebr's processes: the worker, the API, and all of them together for one machine."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

import httpx
import uvicorn
from rich.console import Console
from sqlalchemy import Engine
from temporalio.client import Client

from activities.audit_log import AuditLogActivities
from api.app import create_app
from api.context import ApiContext
from api.tokens import load_secret
from ebr import devserver
from ebr.accounts import Controls
from ebr.demo_recipes import approve_examples
from ebr.report.signing_key import DocumentKey, load_or_create_document_key
from ebr.seed import seed_demo, store_is_new
from ebr.settings import Settings
from ebr.store.db import make_engine, migrate
from ebr.temporal_client import connect, ensure_search_attributes
from ebr.trust import SiteTrust, load_or_create_trust
from ebr.worker import build_worker, ensure_checkpoint_schedule

console = Console(stderr=True)


def prepare_store(settings: Settings) -> Engine:
    """Migrate the record store to the current schema and open it."""
    settings.resolved_data_dir.mkdir(parents=True, exist_ok=True)
    migrate(settings.resolved_database_url)
    return make_engine(settings.resolved_database_url)


def site_trust(settings: Settings) -> SiteTrust:
    return load_or_create_trust(
        settings.resolved_data_dir, site_name=settings.site_name, passphrase=settings.ca_passphrase
    )


def document_key(settings: Settings, trust: SiteTrust) -> DocumentKey:
    """The site's document-signing key (``pki/``, made once), with which workers sign reports."""
    return load_or_create_document_key(
        settings.resolved_data_dir, ca=trust.ca, passphrase=settings.ca_passphrase
    )


async def run_worker(settings: Settings) -> None:
    engine = prepare_store(settings)
    client = await connect(settings)
    trust = site_trust(settings)
    worker = build_worker(
        client,
        engine,
        task_queue=settings.task_queue,
        trust=trust,
        document_key=document_key(settings, trust),
        tsa_url=settings.tsa_url,
        witness=settings.witness_dir,
    )
    await ensure_checkpoint_schedule(
        client, task_queue=settings.task_queue, every=timedelta(minutes=settings.checkpoint_minutes)
    )
    console.print(
        f"ebr worker on task queue [bold]{settings.task_queue}[/] "
        f"at {settings.resolved_temporal_address}"
    )
    async with worker:
        await _until_signalled()
    checkpoint_at_stop(engine, trust, settings)


def checkpoint_at_stop(engine: Engine, trust: SiteTrust, settings: Settings) -> None:
    """Sign (and witness) the audit log as it stands at a clean stop, so that no entry waits
    unsigned for the next start; a failure is said, and does not hide why the process stops."""
    try:
        written = AuditLogActivities(engine, trust, settings.witness_dir).write_checkpoint()
    except Exception as exc:  # noqa: BLE001 - stopping anyway; say what was not signed
        console.print(f"[yellow]warning:[/] no checkpoint at stop: {exc}")
        return
    console.print(f"audit log checkpoint at stop: size {written.tree_size}")


async def run_api(settings: Settings) -> None:
    engine = prepare_store(settings)
    client = await connect(settings)
    server = _api_server(settings, engine, client, site_trust(settings))
    console.print(f"ebr API on http://{settings.api_host}:{settings.api_port}")
    await server.serve()


async def run_all(settings: Settings, *, demo: bool) -> None:
    """Everything on one machine: the dev server (unless a cluster is named), a worker, the API."""
    engine = prepare_store(settings)
    trust = site_trust(settings)
    seeded = demo and store_is_new(engine)
    if seeded:
        added = seed_demo(engine, trust, Controls.of(settings))
        console.print(f"seeded the new store with demo users: {', '.join(added)}")
    server_process = None
    if settings.embedded_temporal:
        console.print(f"starting the Temporal dev server (state in {settings.temporal_db_file})")
        server_process = devserver.start(settings)
    try:
        client = await connect(settings)
        await ensure_search_attributes(client, settings.temporal_namespace)
        api = _api_server(settings, engine, client, trust)
        await ensure_checkpoint_schedule(
            client,
            task_queue=settings.task_queue,
            every=timedelta(minutes=settings.checkpoint_minutes),
        )
        async with build_worker(
            client,
            engine,
            task_queue=settings.task_queue,
            trust=trust,
            document_key=document_key(settings, trust),
            tsa_url=settings.tsa_url,
            witness=settings.witness_dir,
        ):
            console.print(
                f"[green]ebr is up[/]: API http://{settings.api_host}:{settings.api_port}"
                f"/docs · Temporal UI http://127.0.0.1:{settings.temporal_ui_port}"
                " · Ctrl-C stops everything"
            )
            serving = asyncio.create_task(api.serve())
            if seeded:
                await _approve_demo_recipes(api, serving, settings)
            await serving
    finally:
        checkpoint_at_stop(engine, trust, settings)
        if server_process is not None:
            devserver.stop(server_process, settings)
        engine.dispose()
        console.print("ebr stopped")


async def _approve_demo_recipes(
    api: uvicorn.Server, serving: asyncio.Task[None], settings: Settings
) -> None:
    """Once the API answers, the demo users take the example recipes through change control
    (drafted, submitted, reviewed, approved: each a real signature), as a plant would."""
    while not api.started:
        if serving.done():
            return
        await asyncio.sleep(0.05)
    base_url = f"http://127.0.0.1:{settings.api_port}"
    async with httpx.AsyncClient(base_url=base_url, timeout=120.0) as http:
        approved = await approve_examples(http)
    console.print(f"example recipes approved by the demo users: {', '.join(approved)}")


def _api_server(
    settings: Settings, engine: Engine, client: Client, trust: SiteTrust
) -> uvicorn.Server:
    context = ApiContext(
        settings=settings,
        engine=engine,
        trust=trust,
        reader=make_engine(settings.resolved_database_url, read_only=True),
        temporal=client,
        token_secret=load_secret(settings.jwt_secret, settings.resolved_data_dir),
    )
    config = uvicorn.Config(
        create_app(context), host=settings.api_host, port=settings.api_port, log_level="warning"
    )
    return uvicorn.Server(config)


async def _until_signalled() -> None:
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stopped.set)
    await stopped.wait()


def run(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a coroutine function, treating Ctrl-C and SIGTERM (what a service manager sends) as
    the way to stop: both unwind it, so whatever it started (the dev server) is stopped. Without
    this, the API server's re-raised SIGTERM would end the process before any cleanup."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
