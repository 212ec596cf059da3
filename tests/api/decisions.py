"""Driving deviations, the review and QA's signed decisions through the API, for DEMO-SHORT."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from tests.api.harness import Ebr, sign
from tests.api.steps import DEMO_SHORT, run_steps, started

MIX = 3  # DEMO-SHORT's index of "mix": its mix-time (9 to 11 min) is not a critical parameter
RELEASER = "rita"  # QA who performs and verifies no step of DEMO-SHORT (quinn does qa-release)


async def complete_with(
    ebr: Ebr,
    user: str,
    batch_id: str,
    step_id: str,
    values: dict[str, Any],
    comment: str | None = None,
) -> httpx.Response:
    """Complete a step with a comment (an out-of-limit value needs one)."""
    body: dict[str, Any] = {"values": values, "signature": sign(user, "performed")}
    if comment is not None:
        body["comment"] = comment
    return await ebr.post(user, f"/api/batches/{batch_id}/steps/{step_id}/complete", json=body)


async def with_out_of_limit_mix(ebr: Ebr) -> tuple[str, dict[str, Any]]:
    """A DEMO-SHORT batch whose mixing ran 12 min (limit 11), commented: return the batch id and
    the deviation it opened."""
    batch_id = await started(ebr)
    await run_steps(ebr, batch_id, stop=MIX)
    step_id, user, values, _ = DEMO_SHORT[MIX]
    answer = await complete_with(
        ebr, user, batch_id, step_id, {**values, "mix-time": "12"}, "timer slipped"
    )
    assert answer.status_code == 200, answer.text
    devs = await deviations(ebr, batch_id)
    assert len(devs) == 1, devs
    return batch_id, devs[0]


async def deviations(ebr: Ebr, batch_id: str, user: str = "olga") -> list[dict[str, Any]]:
    answer = await ebr.get(user, f"/api/batches/{batch_id}/deviations")
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()
    return found


async def investigate(
    ebr: Ebr, batch_id: str, dev_id: str, user: str = "sam", **extra: Any
) -> httpx.Response:
    body = {"root_cause": "timer battery low", "impact": "none on the blend", **extra}
    return await ebr.post(
        user, f"/api/batches/{batch_id}/deviations/{dev_id}/investigate", json=body
    )


async def classify(
    ebr: Ebr,
    batch_id: str,
    dev_id: str,
    user: str = "quinn",
    classification: str = "minor",
    *,
    reason: str | None = "no effect on the blend",
    signature: dict[str, str] | None = None,
) -> httpx.Response:
    """QA's signed classification (meaning ``classified``); ``reason=None``: none given."""
    body: dict[str, Any] = {
        "classification": classification,
        "signature": signature or sign(user, "classified"),
    }
    if reason is not None:
        body["reason"] = reason
    return await ebr.post(user, f"/api/batches/{batch_id}/deviations/{dev_id}/classify", json=body)


async def disposition(
    ebr: Ebr,
    batch_id: str,
    dev_id: str,
    decision: str = "accept",
    *,
    user: str = "quinn",
    reason: str = "no impact on quality",
    rework_steps: list[str] | None = None,
    capa_ref: str | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {
        "decision": decision,
        "reason": reason,
        "rework_steps": rework_steps or [],
        "capa_ref": capa_ref,
        "signature": sign(user, "approved"),
    }
    return await ebr.post(
        user, f"/api/batches/{batch_id}/deviations/{dev_id}/disposition", json=body
    )


async def closed_by_accept(ebr: Ebr, batch_id: str, dev_id: str) -> dict[str, Any]:
    """Investigate, classify minor and accept the deviation; return the disposition's answer."""
    for answer in (
        await investigate(ebr, batch_id, dev_id),
        await classify(ebr, batch_id, dev_id),
        await disposition(ebr, batch_id, dev_id),
    ):
        assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


async def review(ebr: Ebr, batch_id: str, user: str = "quinn") -> dict[str, Any]:
    answer = await ebr.get(user, f"/api/batches/{batch_id}/review")
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


async def mark(
    ebr: Ebr, batch_id: str, exception_id: str, user: str = "quinn", comment: str | None = None
) -> httpx.Response:
    """Mark an exception reviewed; its id goes in the path percent-encoded (``/`` and ``:``)."""
    path = f"/api/batches/{batch_id}/review/{quote(exception_id, safe='')}"
    return await ebr.post(user, path, json={"comment": comment})


async def mark_all(ebr: Ebr, batch_id: str) -> None:
    for item in (await review(ebr, batch_id))["exceptions"]:
        if not item["reviewed"]:
            answer = await mark(ebr, batch_id, item["id"])
            assert answer.status_code == 200, answer.text


async def release(
    ebr: Ebr, batch_id: str, user: str = RELEASER, password: str | None = None
) -> httpx.Response:
    body = {"signature": sign(user, "released", password=password)}
    return await ebr.post(user, f"/api/batches/{batch_id}/release", json=body)


async def reject(
    ebr: Ebr, batch_id: str, user: str = "quinn", reason: str | None = "contaminated"
) -> httpx.Response:
    body: dict[str, Any] = {"signature": sign(user, "rejected")}
    if reason is not None:
        body["reason"] = reason
    return await ebr.post(user, f"/api/batches/{batch_id}/reject", json=body)


async def lift(
    ebr: Ebr,
    batch_id: str,
    user: str = "quinn",
    reason: str = "cleaned up",
    password: str | None = None,
    hold_id: str | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {
        "reason": reason,
        "signature": sign(user, "approved", password=password),
    }
    if hold_id is not None:
        body["hold_id"] = hold_id
    return await ebr.post(user, f"/api/batches/{batch_id}/hold/lift", json=body)


async def batch(ebr: Ebr, batch_id: str, user: str = "aude") -> dict[str, Any]:
    answer = await ebr.get(user, f"/api/batches/{batch_id}")
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def missing_kinds(body: dict[str, Any]) -> set[str]:
    """The kinds of what a ``release_blocked`` refusal lists."""
    return {item["kind"] for item in body["details"]["missing"]}
