"""Step completion latency and throughput: ebr through its HTTP API against the engine floor.

    python -m bench.step_latency [--steps 200] [--clients 20] [--per-client 25] [--database URL]

One dev server for both. The floor is a bare Temporal update whose handler runs a local activity
doing one comparable insert (bench.floor); ebr is a step completion through the HTTP API: token
check, the workflow's validator and rules, the record write and the progress projection.
Targets: p50 ratio ebr/floor <= 1.5; concurrent throughput >= 0.7 of the floor's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributeKey
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from bench.floor import FloorWorkflow
from bench.server import FLOOR_QUEUE
from ebr import search_attributes
from ebr.accounts import provision_key
from ebr.domain.recipe_loading import recipe_from_data
from ebr.domain.roles import Role
from ebr.passwords import hash_password
from ebr.store.db import make_engine, migrate, session_scope
from ebr.store.recipes import save_recipe
from ebr.store.users import add_user
from ebr.trust import load_or_create_trust

PASSWORD = "bench-password"
EBR_QUEUE = "bench-ebr"
SIGNATURE = {"meaning": "performed", "user_id": "bench", "password": PASSWORD}


def recipe_data(steps: int) -> dict[str, object]:
    step = {
        "kind": "record",
        "instructions": "Record the value.",
        "inputs": [
            {"name": "v", "label": "Value", "type": "number", "unit": "kg", "min": "0", "max": "10"}
        ],
    }
    return {
        "code": "BENCH",
        "version": 1,
        "name": "Benchmark",
        "product": {"code": "B", "name": "B"},
        "batch_size": {"value": "1", "unit": "kg"},
        "procedure": [
            {
                "id": "u",
                "name": "U",
                "operations": [
                    {
                        "id": "o",
                        "name": "O",
                        "steps": [
                            {"id": f"s{i:05d}", "name": f"Step {i}", **step} for i in range(steps)
                        ],
                    }
                ],
            }
        ],
    }


def prepare_store(url: str, steps: int, data_dir: Path) -> str:
    """The bench user with a signing key, and the recipe; returns the user's wrapped key."""
    migrate(url)
    engine = make_engine(url)
    now = datetime.now(UTC)
    trust = load_or_create_trust(data_dir, site_name="bench", passphrase=None)
    with session_scope(engine) as session:
        add_user(
            session=session,
            user_id="bench",
            full_name="Bench Mark",
            roles=[Role.SUPERVISOR, Role.OPERATOR],
            password_hash=hash_password(PASSWORD),
            created_by="bench",
            at=now,
        )
        save_recipe(
            session=session,
            recipe=recipe_from_data(recipe_data(steps)),
            source="bench",
            loaded_by="bench",
            at=now,
        )
    wrapped = provision_key(engine, trust.ca, user_id="bench", password=PASSWORD, now=now).wrapped
    engine.dispose()
    return wrapped


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def timed(call: Callable[[], Awaitable[object]], into: list[float]) -> None:
    start = time.perf_counter()
    await call()
    into.append(time.perf_counter() - start)


async def floor_run(client: Client, updates: int, into: list[float], wrapped: str | None) -> None:
    handle: WorkflowHandle[FloorWorkflow, None] = await client.start_workflow(
        FloorWorkflow.run, id=f"floor-{uuid.uuid4().hex[:8]}", task_queue=FLOOR_QUEUE
    )
    payload: dict[str, object] = {"v": {"value": "1.5", "unit": "kg"}}
    if wrapped is not None:
        payload |= {"wrapped_key": wrapped, "password": PASSWORD}
    await handle.execute_update(FloorWorkflow.record, payload)  # warm up
    for _ in range(updates):
        await timed(lambda: handle.execute_update(FloorWorkflow.record, payload), into)
    await handle.terminate("benchmark done")


async def ebr_run(http: httpx.AsyncClient, token: str, updates: int, into: list[float]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    number = f"BENCH-{uuid.uuid4().hex[:10]}"
    answer = await http.post(
        "/api/batches",
        headers=headers,
        json={
            "recipe_code": "BENCH",
            "recipe_version": 1,
            "batch_number": number,
            "planned_quantity": {"value": "1", "unit": "kg"},
        },
    )
    answer.raise_for_status()

    async def complete(i: int) -> None:
        reply = await http.post(
            f"/api/batches/{number}/steps/s{i:05d}/complete",
            headers=headers,
            json={"values": {"v": "1.5"}, "signature": SIGNATURE},
        )
        reply.raise_for_status()

    await complete(0)  # warm up
    for i in range(1, updates + 1):
        await timed(lambda i=i: complete(i), into)  # type: ignore[misc]


def summary(label: str, samples: list[float], wall: float) -> dict[str, float]:
    ordered = sorted(samples)
    figures = {
        "p50": statistics.median(ordered) * 1000,
        "p95": ordered[int(0.95 * (len(ordered) - 1))] * 1000,
        "throughput": len(ordered) / wall,
    }
    print(
        f"  {label:<22} n={len(ordered):<5} p50 {figures['p50']:7.1f} ms   "
        f"p95 {figures['p95']:7.1f} ms   {figures['throughput']:7.1f} /s"
    )
    return figures


async def measure(args: argparse.Namespace, client: Client, base_url: str, wrapped: str) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as http:
        login = await http.post("/api/auth/token", data={"username": "bench", "password": PASSWORD})
        login.raise_for_status()
        token = login.json()["access_token"]
        results: dict[str, dict[str, float]] = {}
        for mode, clients, per in (
            ("sequential", 1, args.steps),
            ("concurrent", args.clients, args.per_client),
        ):
            print(f"{mode}: {clients} client(s) x {per} steps")
            for name in ("floor", "signed floor", "ebr"):
                samples: list[float] = []
                start = time.perf_counter()
                if name != "ebr":
                    key = wrapped if name == "signed floor" else None
                    runs = [floor_run(client, per, samples, key) for _ in range(clients)]
                else:
                    runs = [ebr_run(http, token, per, samples) for _ in range(clients)]
                await asyncio.gather(*runs)
                results[f"{mode}-{name}"] = summary(name, samples, time.perf_counter() - start)

        def ratio(mode: str, floor: str, figure: str) -> float:
            return results[f"{mode}-ebr"][figure] / results[f"{mode}-{floor}"][figure]

        print("ratios (ebr signs every step; the signed floor unwraps the same key per update):")
        for floor, target in (("signed floor", 1.3), ("floor", 1.5)):
            p50 = ratio("sequential", floor, "p50")
            thr = ratio("concurrent", floor, "throughput")
            print(
                f"  ebr/{floor:<13} p50 sequential {p50:5.2f} (target <= {target}: "
                f"{'met' if p50 <= target else 'NOT met'})  p50 concurrent "
                f"{ratio('concurrent', floor, 'p50'):5.2f}  throughput {thr:5.2f} "
                f"(target >= 0.7: {'met' if thr >= 0.7 else 'NOT met'})"
            )


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=200, help="sequential steps")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--per-client", type=int, default=25)
    parser.add_argument("--database", help="store URL (default: a SQLite file in a temp dir)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{Path(tmp) / 'ebr.db'}"
        wrapped = prepare_store(url, max(args.steps, args.per_client) + 1, Path(tmp))
        env = await WorkflowEnvironment.start_local(
            data_converter=pydantic_data_converter,
            dev_server_existing_path=str(Path(sys.executable).parent / "temporal"),
            search_attributes=[SearchAttributeKey.for_keyword(n) for n in search_attributes.ALL],
        )
        port = free_port()
        environment = {
            **os.environ,
            "EBR_TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
            "EBR_DATABASE_URL": url,
            "EBR_DATA_DIR": tmp,
            "EBR_API_PORT": str(port),
            "EBR_TASK_QUEUE": EBR_QUEUE,
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "bench.server"],
            env=environment,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.stdout is not None
            if server.stdout.readline().strip() != "ready":
                raise SystemExit("the benchmark server did not start")
            await asyncio.sleep(0.5)
            db = "PostgreSQL" if url.startswith("postgres") else "SQLite"
            print(
                f"store: {db}; Temporal dev server at "
                f"{environment['EBR_TEMPORAL_ADDRESS']}; {os.cpu_count()} cores"
            )
            await measure(args, env.client, f"http://127.0.0.1:{port}", wrapped)
        finally:
            server.terminate()
            server.wait(timeout=30)
            await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
