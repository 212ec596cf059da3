"""Recipe dry runs over HTTP: a stored version, a recipe in the body (YAML or JSON), and the
refusals (not a recipe, no such version, no token)."""

from __future__ import annotations

import httpx
import pytest

from tests.api.harness import Ebr
from tests.api.steps import assert_error
from tests.dry_run_recipes import TIMED, UNREACHABLE

# A dry run reads at most the stored recipe, the same on either backend: SQLite alone.
pytestmark = [pytest.mark.e2e, pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)]


async def send(ebr: Ebr, body: str, content_type: str = "application/yaml") -> httpx.Response:
    """A recipe body sent as ``content_type`` by Olga, an operator."""
    headers = {**await ebr.headers("olga"), "Content-Type": content_type}
    return await ebr.http.post("/api/recipes/simulate", content=body.encode(), headers=headers)


async def test_a_stored_version_is_dry_run_for_any_user_who_reads_recipes(ebr: Ebr) -> None:
    answer = await ebr.post("aude", "/api/recipes/DEMO-SHORT/1/simulate")  # an auditor
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["recipe_code"], body["recipe_version"]) == ("DEMO-SHORT", 1)
    assert (body["completed"], body["problems"], body["findings"]) == (True, 0, [])
    assert [s["step_id"] for s in body["steps"]][:2] == ["line-clearance", "weigh-powder"]
    assert body["steps"][1]["verified_by"] == ["operator", "supervisor", "qa"]
    held = [(v["variant"]["input"], v["holds"], v["batch_status"]) for v in body["variants"]]
    assert held == [("powder-mass", True, "on_hold"), ("lod", True, "on_hold")]
    listed = await ebr.get("aude", "/api/batches")
    assert not any(b["batch_id"].startswith("DRY-") for b in listed.json()), "nothing stored"


async def test_a_recipe_in_the_body_is_dry_run_as_yaml_or_json(ebr: Ebr) -> None:
    late = await send(ebr, UNREACHABLE)
    assert late.status_code == 200, late.text
    body = late.json()
    assert body["problems"] == 1
    [finding] = body["findings"]
    assert (finding["step_id"], finding["kind"]) == ("dry", "unreachable")

    timed = await ebr.post("olga", "/api/recipes/simulate", json={"source": TIMED})
    assert timed.status_code == 200, timed.text
    body = timed.json()
    assert (body["recipe_code"], body["problems"]) == ("DRY-TIMED", 0)
    assert body["elapsed_minutes"] >= 75
    assert {w["step_id"]: w["min_duration_minutes"] for w in body["waits"]} == {
        "mix": 30,
        "dry": 45,
    }


async def test_what_is_not_a_recipe_or_not_stored_is_refused(ebr: Ebr) -> None:
    broken = await send(ebr, "code: X\nversion: 1\n")
    body = assert_error(broken, 422, "recipe_invalid")
    assert {p["field"] for p in body["details"]} >= {"name", "procedure"}
    no_source = await ebr.post("olga", "/api/recipes/simulate", json={"text": TIMED})
    assert_error(no_source, 422, "invalid_request")
    html = await send(ebr, "<p>", "text/html")
    assert_error(html, 415, "unsupported_media_type")
    unknown = await ebr.post("olga", "/api/recipes/DEMO-SHORT/99/simulate")
    assert_error(unknown, 404, "recipe_not_found")
    anonymous = await ebr.http.post("/api/recipes/DEMO-SHORT/1/simulate")
    assert_error(anonymous, 401, "not_authenticated")
