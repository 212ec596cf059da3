"""Building the Temporal worker that runs batch workflows and their activities."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.worker import Worker

from activities.batch_store import BatchStoreActivities
from workflows.batch import BatchWorkflow

# Store writes are synchronous (SQLModel); they run on this many threads per worker.
ACTIVITY_THREADS = 16


def build_worker(client: Client, engine: Engine, *, task_queue: str) -> Worker:
    """A worker for every ebr workflow and activity; the caller runs it and shuts it down."""
    store = BatchStoreActivities(engine)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[BatchWorkflow],
        activities=[store.create_batch, store.persist_record],
        activity_executor=ThreadPoolExecutor(max_workers=ACTIVITY_THREADS),
        max_concurrent_activities=ACTIVITY_THREADS,
        max_concurrent_local_activities=ACTIVITY_THREADS,
    )
