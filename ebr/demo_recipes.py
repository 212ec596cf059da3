"""The demo's master recipes, taken through change control as a plant would: written as drafts by
the demo author, submitted (her signature), reviewed (the demo supervisor's), approved by QA
(with signatures), over the HTTP API like any client. The passwords are the published demo ones:
this is for trying ebr on one machine, never for a plant."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from ebr.seed import DEMO_USERS, EXAMPLE_RECIPES

__all__ = ["AUTHOR", "APPROVER", "REVIEWER", "approve_recipe", "approve_examples"]

AUTHOR, REVIEWER, APPROVER = "ada", "sam", "quinn"
_PASSWORDS = {user.user_id: user.password for user in DEMO_USERS}


class DemoRefused(RuntimeError):
    """The API refused a step of the demo's recipe approvals (its answer says why)."""


async def approve_examples(
    http: httpx.AsyncClient, recipes_dir: Path = EXAMPLE_RECIPES
) -> list[str]:
    """Take every example recipe that is not yet effective from draft to effective; return what
    was approved (``CODE vN``). Idempotent: an effective version is left as it is."""
    approved = []
    for path in sorted(recipes_dir.glob("*.yaml")):
        label = await approve_recipe(http, path.read_text(encoding="utf-8"))
        if label:
            approved.append(label)
    return approved


async def approve_recipe(http: httpx.AsyncClient, source: str) -> str | None:
    """Draft (the author), submit (the author), review (the supervisor), approve (QA): the
    recipe ``source`` becomes effective now. Returns ``CODE vN``, or None if it already was."""
    tokens = {user: await _token(http, user) for user in (AUTHOR, REVIEWER, APPROVER)}
    drafted = await http.post(
        "/api/recipes",
        content=source.encode("utf-8"),
        headers={"Authorization": f"Bearer {tokens[AUTHOR]}", "Content-Type": "application/yaml"},
    )
    if drafted.status_code == 409:
        return None  # past its draft already: reviewed, approved or effective
    version = _answer(drafted)
    code, number = version["code"], version["version"]
    for user, action, meaning in (
        (AUTHOR, "submit", "authored"),
        (REVIEWER, "review", "reviewed"),
        (APPROVER, "approve", "approved"),
    ):
        signature = {"meaning": meaning, "user_id": user, "password": _PASSWORDS[user]}
        _answer(
            await http.post(
                f"/api/recipes/{code}/{number}/{action}",
                json={"signature": signature},
                headers={"Authorization": f"Bearer {tokens[user]}"},
            )
        )
    return f"{code} v{number}"


async def _token(http: httpx.AsyncClient, user: str) -> str:
    answer = _answer(
        await http.post("/api/auth/token", data={"username": user, "password": _PASSWORDS[user]})
    )
    token: str = answer["access_token"]
    return token


def _answer(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise DemoRefused(f"{response.request.url.path}: {response.status_code} {response.text}")
    return response.json()
