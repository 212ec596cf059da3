"""The process under test: ebr's worker and API, plus the floor's worker, on one dev server.

Started by bench.step_latency as a subprocess so that the client measuring them runs apart.
"""

from __future__ import annotations

import asyncio
import sys
from concurrent.futures import ThreadPoolExecutor

import uvicorn
from temporalio.worker import Worker

from api.app import create_app
from api.context import ApiContext
from bench.floor import FloorActivities, FloorWorkflow
from ebr.settings import Settings
from ebr.store.db import make_engine, migrate
from ebr.temporal_client import connect
from ebr.trust import load_or_create_trust
from ebr.worker import build_worker

FLOOR_QUEUE = "bench-floor"


async def main() -> None:
    settings = Settings()
    migrate(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    client = await connect(settings)
    floor = FloorActivities(engine)
    floor_worker = Worker(
        client,
        task_queue=FLOOR_QUEUE,
        workflows=[FloorWorkflow],
        activities=[floor.insert_row],
        activity_executor=ThreadPoolExecutor(16),
        max_concurrent_local_activities=16,
    )
    trust = load_or_create_trust(settings.resolved_data_dir, site_name="bench", passphrase=None)
    context = ApiContext(
        settings=settings,
        engine=engine,
        reader=make_engine(settings.resolved_database_url, read_only=True),
        trust=trust,
        temporal=client,
        token_secret="bench-secret-not-for-production-use-0123456789",
    )
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(context), host="127.0.0.1", port=settings.api_port, log_level="warning"
        )
    )
    async with (
        floor_worker,
        build_worker(client, engine, task_queue=settings.task_queue, trust=trust),
    ):
        print("ready", flush=True)
        await server.serve()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
