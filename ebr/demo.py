"""``ebr demo``: one whole batch driven through the public HTTP API, as several people would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from ebr.seed import DEMO_USERS

PERFORMER = {"operator": "olga", "supervisor": "sam", "qa": "quinn"}
# A verifier differs from the performer and holds the step's role, supervisor or qa.
VERIFIER = {"olga": "sam", "omar": "sam", "sam": "quinn", "quinn": "sam"}
STATION = "demo-terminal"
PASSWORDS = {user.user_id: user.password for user in DEMO_USERS}


class DemoError(RuntimeError):
    """The API refused something the demo expected to work."""


@dataclass
class Session:
    client: httpx.Client
    tokens: dict[str, str]

    def call(self, user: str, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[user]}", "X-EBR-Station": STATION}
        answer = self.client.request(method, path, headers=headers, **kwargs)
        if answer.status_code >= 400:
            raise DemoError(f"{method} {path} as {user}: {answer.status_code} {answer.text}")
        return answer.json()


def run_demo(base_url: str, recipe_code: str, recipe_version: int, console: Console) -> str:
    """Start a batch and complete every step; return the batch id."""
    with httpx.Client(base_url=base_url, timeout=60.0) as client:
        session = Session(client=client, tokens=_sign_in_everyone(client))
        recipe = session.call("sam", "GET", f"/api/recipes/{recipe_code}/{recipe_version}")
        batch_number = f"DEMO-{datetime.now(UTC):%Y%m%d-%H%M%S}"
        size = recipe["recipe"]["batch_size"]
        batch = session.call(
            "sam",
            "POST",
            "/api/batches",
            json={
                "recipe_code": recipe_code,
                "recipe_version": recipe_version,
                "batch_number": batch_number,
                "planned_quantity": size,
            },
        )
        console.print(
            f"started batch [bold]{batch['batch_id']}[/] of {recipe_code} "
            f"v{recipe_version} ({recipe['name']}) as sam"
        )
        _execute(session, batch, console)
        final = session.call("quinn", "GET", f"/api/batches/{batch['batch_id']}")
        console.print(
            f"batch [bold]{final['batch_id']}[/]: {final['status']}, "
            f"{final['steps_done']}/{final['steps_total']} steps done"
        )
        return str(final["batch_id"])


def _sign_in_everyone(client: httpx.Client) -> dict[str, str]:
    tokens = {}
    for user in DEMO_USERS:
        answer = client.post(
            "/api/auth/token", data={"username": user.user_id, "password": user.password}
        )
        if answer.status_code != 200:
            raise DemoError(
                f"signing in as {user.user_id} failed: {answer.text} "
                "(was the store seeded with the demo users? run `ebr up`)"
            )
        tokens[user.user_id] = answer.json()["access_token"]
    return tokens


def _execute(session: Session, batch: dict[str, Any], console: Console) -> None:
    batch_id = batch["batch_id"]
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("executing", total=len(batch["steps"]))
        for step in batch["steps"]:
            performer = PERFORMER[step["role"]]
            progress.update(task, description=f"{step['step_id']:<28} {performer}")
            session.call(
                performer,
                "POST",
                f"/api/batches/{batch_id}/steps/{step['step_id']}/complete",
                json={
                    "values": _values(step["inputs"]),
                    "signature": _signature(performer, "performed"),
                },
            )
            if step["verify"]:
                verifier = VERIFIER[performer]
                progress.update(task, description=f"{step['step_id']:<28} verified by {verifier}")
                session.call(
                    verifier,
                    "POST",
                    f"/api/batches/{batch_id}/steps/{step['step_id']}/verify",
                    json={"signature": _signature(verifier, "verified")},
                )
            progress.advance(task)


def _signature(user_id: str, meaning: str) -> dict[str, str]:
    """Both signing components, as at the first signature of a session (21 CFR 11.200)."""
    return {"meaning": meaning, "user_id": user_id, "password": PASSWORDS[user_id]}


def _values(inputs: list[dict[str, Any]]) -> dict[str, Any]:
    """In-specification values: the middle of each number's limits, the expected answer."""
    values: dict[str, Any] = {}
    for spec in inputs:
        kind = spec["type"]
        if kind == "number":
            values[spec["name"]] = _middle(spec.get("min"), spec.get("max"))
        elif kind == "check":
            values[spec["name"]] = spec.get("expected") is not False
        elif kind == "choice":
            values[spec["name"]] = spec["options"][0]
        elif spec.get("required", True):
            values[spec["name"]] = "as per SOP"
    return values


def _middle(low: str | None, high: str | None) -> str:
    if low is not None and high is not None:
        return str((Decimal(low) + Decimal(high)) / 2)
    return str(low if low is not None else high if high is not None else "1")
