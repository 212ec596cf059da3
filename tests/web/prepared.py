"""Batches made ready over plain HTTP, so a browser test starts at the step it is about."""

from __future__ import annotations

import httpx

from tests.web.pages import batch_number, http_sign_in, signature
from tests.web.site import Site


async def started(site: Site) -> str:
    """A new DEMO-SHORT batch, started by the supervisor over plain HTTP."""
    number = batch_number()
    async with httpx.AsyncClient(base_url=site.base_url, timeout=60) as sam:
        csrf = await http_sign_in(sam, "sam")
        form = {"csrf_token": csrf, "recipe": "DEMO-SHORT/1", "batch_number": number}
        answer = await sam.post(
            "/batches", data={**form, "planned_value": "10", "planned_unit": "kg"}
        )
        assert answer.status_code == 303, answer.text
    return number


async def cleared(site: Site, number: str) -> None:
    """The batch's line clearance performed by olga and verified by sam, over plain HTTP."""
    action = f"/batches/{number}/steps/line-clearance"
    async with (
        httpx.AsyncClient(base_url=site.base_url, timeout=60) as olga,
        httpx.AsyncClient(base_url=site.base_url, timeout=60) as sam,
    ):
        form = {"csrf_token": await http_sign_in(olga, "olga"), "v-area-clear": "yes"}
        done = await olga.post(f"{action}/complete", data={**form, **signature("olga")})
        check = {"csrf_token": await http_sign_in(sam, "sam"), **signature("sam")}
        verified = await sam.post(f"{action}/verify", data=check)
        assert done.status_code == verified.status_code == 303


async def signed_step(
    site: Site, number: str, user_id: str, step_id: str, action: str, fields: dict[str, str]
) -> None:
    """One step action signed by ``user_id`` over plain HTTP (``v-<input>`` fields, comment)."""
    async with httpx.AsyncClient(base_url=site.base_url, timeout=60) as http:
        form = {"csrf_token": await http_sign_in(http, user_id), **fields, **signature(user_id)}
        answer = await http.post(f"/batches/{number}/steps/{step_id}/{action}", data=form)
        assert answer.status_code == 303, answer.text


async def posted(site: Site, user_id: str, action: str, fields: dict[str, str]) -> None:
    """One of the pages' forms posted by ``user_id`` over plain HTTP, and recorded (303)."""
    async with httpx.AsyncClient(base_url=site.base_url, timeout=60) as http:
        form = {"csrf_token": await http_sign_in(http, user_id), **fields}
        answer = await http.post(action, data=form)
        assert answer.status_code == 303, answer.text
