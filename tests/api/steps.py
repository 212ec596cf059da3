"""Driving DEMO-SHORT batches through the API: values that pass, and the order of the steps."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from ebr.demo_recipes import approve_recipe
from tests.api.harness import Ebr, sign

RECIPE = "DEMO-SHORT"

# DEMO-SHORT in order: (step id, performer, values, verifier or None). blend-moisture's recipe
# step says no ``verify``, but its loss on drying is a critical input: a second person verifies it.
DEMO_SHORT: list[tuple[str, str, dict[str, Any], str | None]] = [
    ("line-clearance", "olga", {"area-clear": True}, "sam"),
    ("weigh-powder", "olga", {"powder-lot": "PWD-0042", "powder-mass": "10.01"}, "sam"),
    ("close-blender", "olga", {}, None),
    ("mix", "omar", {"mix-time": "10", "appearance": "uniform"}, None),
    ("blend-moisture", "olga", {"lod": "1.4"}, "sam"),
    ("qa-release", "quinn", {"released": True}, None),
]


def unique_code() -> str:
    """A recipe code no other test uses."""
    return f"API-{uuid.uuid4().hex[:8].upper()}"


async def upload(ebr: Ebr, source: str, user: str = "ada") -> httpx.Response:
    """Upload recipe text as ``application/yaml``."""
    headers = {**await ebr.headers(user), "Content-Type": "application/yaml"}
    return await ebr.http.post("/api/recipes", content=source.encode(), headers=headers)


async def effective(ebr: Ebr, source: str) -> None:
    """The recipe ``source`` drafted, submitted, reviewed and approved by the demo users: it
    starts batches from now on."""
    assert await approve_recipe(ebr.http, source), "a new recipe version"


def batch_number(prefix: str = "B") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10].upper()}"


async def start_batch(
    ebr: Ebr, number: str | None = None, *, user: str = "sam", recipe: str = RECIPE, **extra: Any
) -> httpx.Response:
    body: dict[str, Any] = {
        "recipe_code": recipe,
        "recipe_version": 1,
        "batch_number": number or batch_number(),
        "planned_quantity": {"value": "10", "unit": "kg"},
        **extra,
    }
    return await ebr.post(user, "/api/batches", json=body)


async def started(ebr: Ebr, number: str | None = None) -> str:
    """Start a DEMO-SHORT batch as the supervisor; return its id."""
    answer = await start_batch(ebr, number)
    assert answer.status_code == 201, answer.text
    batch_id: str = answer.json()["batch_id"]
    return batch_id


async def complete(
    ebr: Ebr, user: str, batch_id: str, step_id: str, values: dict[str, Any] | None = None
) -> httpx.Response:
    """Complete a step, signed by ``user`` (meaning ``performed``)."""
    return await ebr.post(
        user,
        f"/api/batches/{batch_id}/steps/{step_id}/complete",
        json={"values": values or {}, "signature": sign(user, "performed")},
    )


async def verify(ebr: Ebr, user: str, batch_id: str, step_id: str) -> httpx.Response:
    """Verify a step, signed by ``user`` (meaning ``verified``)."""
    return await ebr.post(
        user,
        f"/api/batches/{batch_id}/steps/{step_id}/verify",
        json={"signature": sign(user, "verified")},
    )


async def correct(
    ebr: Ebr,
    user: str,
    batch_id: str,
    step_id: str,
    values: dict[str, Any],
    reason: str | None = "transcription error",
) -> httpx.Response:
    """Correct a step's values, signed by ``user`` (meaning ``corrected``); ``None``: no reason."""
    body: dict[str, Any] = {"values": values, "signature": sign(user, "corrected")}
    if reason is not None:
        body["reason"] = reason
    return await ebr.post(user, f"/api/batches/{batch_id}/steps/{step_id}/correct", json=body)


async def run_steps(ebr: Ebr, batch_id: str, first: int = 0, stop: int | None = None) -> None:
    """Complete (and verify where asked) DEMO-SHORT steps ``first`` up to ``stop``, checking each."""
    for step_id, user, values, verifier in DEMO_SHORT[first:stop]:
        answer = await complete(ebr, user, batch_id, step_id, values)
        assert answer.status_code == 200, answer.text
        if verifier is not None:
            answer = await verify(ebr, verifier, batch_id, step_id)
            assert answer.status_code == 200, answer.text


def assert_error(answer: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Assert the status and the error body's shape and code; return the body."""
    assert answer.status_code == status, answer.text
    body: dict[str, Any] = answer.json()
    assert set(body) == {"error", "message", "details"}, body
    assert body["error"] == code, body
    assert isinstance(body["message"], str) and body["message"], body
    return body
