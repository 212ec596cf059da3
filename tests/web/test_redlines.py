"""The batch page's redlines, over plain HTTP: a redline proposed through the API is shown with
its steps in the master's version, the batch's and the one it would make; QA's rejection form
without a reason is refused in words, and QA's signed approval is recorded and shown, the added
step among the batch's steps."""

from __future__ import annotations

import html
from typing import Any

import httpx
import pytest

from ebr.seed import demo_password
from tests.web.pages import http_sign_in, signature
from tests.web.prepared import started
from tests.web.site import Site

pytestmark = pytest.mark.e2e

CHANGES: list[dict[str, Any]] = [
    {
        "kind": "add_step",
        "after": "close-blender",
        "step": {
            "id": "sieve",
            "name": "Sieve the blend",
            "instructions": "Pass the blend through a 1 mm sieve.",
            "kind": "instruction",
        },
    },
    {"kind": "limits", "step_id": "mix", "input": "mix-time", "min": "9", "max": "13"},
]


async def proposed(site: Site, number: str) -> dict[str, Any]:
    """sam's redline of ``number``, proposed through the JSON API; the redline as listed."""
    async with httpx.AsyncClient(base_url=site.base_url, timeout=60) as api:
        login = {"username": "sam", "password": demo_password("sam")}
        token = (await api.post("/api/auth/token", data=login)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        body = {
            "changes": CHANGES,
            "reason": "sieving validated for this product",
            "signature": {
                "meaning": "proposed",
                "user_id": "sam",
                "password": demo_password("sam"),
            },
        }
        answer = await api.post(f"/api/batches/{number}/redlines", json=body, headers=headers)
        assert answer.status_code == 201, answer.text
        listed = await api.get(f"/api/batches/{number}/redlines", headers=headers)
        found: dict[str, Any] = listed.json()[0]
        return found


async def test_qa_sees_a_redline_and_approves_it_with_a_signature(site: Site) -> None:
    number = await started(site)
    redline = await proposed(site, number)
    rid = redline["redline_id"]
    async with httpx.AsyncClient(base_url=site.base_url, timeout=60) as quinn:
        csrf = await http_sign_in(quinn, "quinn")
        page = html.unescape((await quinn.get(f"/batches/{number}")).text)
        assert f'id="redline-{rid}"' in page
        for words in (
            "Master recipe",
            "This batch",
            "If approved",
            "9 to 13 min",
            "9 to 11 min",
            "sieving validated for this product",
            "add step 'sieve' (Sieve the blend)",
        ):
            assert words in page, words
        base = {"csrf_token": csrf, "content_hash": redline["content_hash"]}
        refused = await quinn.post(
            f"/batches/{number}/decisions/reject-redline/{rid}", data={**base, **signature("quinn")}
        )
        assert refused.status_code == 422, refused.text
        assert "Not recorded." in refused.text and f'id="redline-{rid}"' in refused.text
        approved = await quinn.post(
            f"/batches/{number}/decisions/approve-redline/{rid}",
            data={**base, **signature("quinn")},
        )
        assert approved.status_code == 303, approved.text
        assert approved.headers["location"].endswith(f"done=approve-redline#redline-{rid}")
        page = html.unescape((await quinn.get(approved.headers["location"])).text)
        assert "Redline approved: signed and recorded." in page
        assert 'id="step-sieve"' in page and "approve-redline-form" not in page
        assert "(signed) by Quinn" in page
