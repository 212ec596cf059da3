"""Whether the API can do its work now: the record store, Temporal, and a worker on its queue.

``/api/health`` says only that the process lives; ``/api/ready`` asks each dependency, so that a
load balancer or an operator can tell "the API is up" from "the API can record a step". Before a
command is sent to Temporal, ``ensure_temporal`` asks (at most every ``CHECK_SECONDS``) whether
the frontend answers: when it does not, the person is told within about two seconds, in words,
with a 503 and ``Retry-After``, instead of waiting out the client's connection retries.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.service import RPCError

from api.refusals import TemporalUnavailable

__all__ = ["CHECK_SECONDS", "Readiness", "ensure_temporal", "readiness"]

CHECK_SECONDS = 2.0
TIMEOUT = timedelta(seconds=1.5)
RETRY_AFTER = 5
_checked: dict[int, tuple[float, str | None]] = {}


@dataclass(frozen=True)
class Readiness:
    """Each dependency's problem in words, or None when it answers."""

    store: str | None
    temporal: str | None
    worker: str | None

    @property
    def ready(self) -> bool:
        return self.store is None and self.temporal is None and self.worker is None


async def ensure_temporal(client: Client) -> None:
    """Refuse now (``temporal_unavailable``, 503) if Temporal did not answer the last check.

    Raises:
        TemporalUnavailable: with ``retry_after`` in its details.
    """
    seen = _checked.get(id(client))
    now = time.monotonic()
    if seen is None or now - seen[0] > CHECK_SECONDS:
        seen = (now, await _temporal_problem(client))
        _checked[id(client)] = seen
    if seen[1] is not None:
        raise TemporalUnavailable(
            f"the workflow service does not answer ({seen[1]}): nothing was recorded; "
            f"try again in {RETRY_AFTER} seconds",
            {"retry_after": RETRY_AFTER},
        )


async def readiness(reader: Engine, client: Client, task_queue: str) -> Readiness:
    """Ask the store, Temporal and the task queue's pollers, each briefly."""
    temporal = await _temporal_problem(client)
    _checked[id(client)] = (time.monotonic(), temporal)
    worker = await _worker_problem(client, task_queue) if temporal is None else "not asked"
    return Readiness(store=_store_problem(reader), temporal=temporal, worker=worker)


def _store_problem(reader: Engine) -> str | None:
    try:
        with reader.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return f"the record store does not answer: {type(exc).__name__}"
    return None


async def _temporal_problem(client: Client) -> str | None:
    try:
        await client.service_client.check_health(timeout=TIMEOUT)
    except (RPCError, RuntimeError) as exc:
        return f"{type(exc).__name__}: {str(exc)[:200]}"
    return None


async def _worker_problem(client: Client, task_queue: str) -> str | None:
    request = DescribeTaskQueueRequest(
        namespace=client.namespace,
        task_queue=TaskQueue(name=task_queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    )
    try:
        answer = await client.workflow_service.describe_task_queue(request, timeout=TIMEOUT)
    except RPCError as exc:
        return f"the task queue cannot be described: {str(exc)[:200]}"
    if not answer.pollers:
        return f"no worker polls the task queue {task_queue!r}"
    return None
