"""The audit trail over HTTP: filtered by batch, user, entity and time, for reviewers only; and
an unknown path answers with the standard error body."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from tests.api.harness import Ebr
from tests.api.people import audit_entries
from tests.api.steps import assert_error, run_steps, started

pytestmark = pytest.mark.e2e


async def test_the_trail_filters_by_batch_user_entity_and_time(ebr: Ebr) -> None:
    since = datetime.now(UTC)
    await asyncio.sleep(0.01)
    batch_id = await started(ebr)
    await run_steps(ebr, batch_id, 0, 2)
    until = datetime.now(UTC) + timedelta(milliseconds=1)

    signed = [
        e for e in await audit_entries(ebr, batch_id=batch_id) if e["action"] == "record_signed"
    ]
    assert [
        (e["actor"], e["new_value"]["subject"]["id"], e["new_value"]["meaning"]) for e in signed
    ] == [
        ("olga", "line-clearance", "performed"),
        ("sam", "line-clearance", "verified"),
        ("olga", "weigh-powder", "performed"),
        ("sam", "weigh-powder", "verified"),
    ]
    every = await audit_entries(ebr, batch_id=batch_id)
    assert {e["batch_id"] for e in every} == {batch_id}
    assert [e["idx"] for e in every] == sorted(e["idx"] for e in every)

    by_olga = await audit_entries(ebr, batch_id=batch_id, user="olga")
    assert by_olga and {e["actor"] for e in by_olga} == {"olga"}
    records = await audit_entries(ebr, batch_id=batch_id, entity="signed_record")
    assert {e["entity"] for e in records} == {"signed_record"}
    assert len(records) == 4
    one = records[0]["entity_id"]
    assert [e["entity_id"] for e in await audit_entries(ebr, entity_id=one)] == [one]

    window = await audit_entries(
        ebr, batch_id=batch_id, since=since.isoformat(), until=until.isoformat()
    )
    assert [e["idx"] for e in window] == [e["idx"] for e in every]
    assert all(since <= datetime.fromisoformat(e["at"]) < until for e in window)
    assert await audit_entries(ebr, batch_id=batch_id, until=since.isoformat()) == []
    assert await audit_entries(ebr, batch_id=batch_id, since=until.isoformat()) == []
    assert await audit_entries(ebr, batch_id="NO-SUCH-BATCH") == []

    for reviewer in ("aude", "adam"):
        assert await audit_entries(ebr, reviewer, batch_id=batch_id) == every


@pytest.mark.parametrize("user", ["olga", "sam"])
async def test_operators_and_supervisors_may_not_read_the_trail(ebr: Ebr, user: str) -> None:
    error = assert_error(await ebr.get(user, "/api/audit"), 403, "role_not_allowed")
    assert error["details"] == {"required_roles": ["qa", "auditor", "admin"]}
    assert_error(await ebr.http.get("/api/audit"), 401, "not_authenticated")


async def test_a_bad_filter_is_422(ebr: Ebr) -> None:
    error = assert_error(
        await ebr.get("quinn", "/api/audit", params={"since": "yesterday"}), 422, "invalid_request"
    )
    assert [d["field"] for d in error["details"]] == ["since"]


@pytest.mark.parametrize("path", ["/api/nope", "/api/batches/B-1/steps", "/no/such/page.php"])
async def test_an_unknown_path_is_404_with_the_standard_body(ebr: Ebr, path: str) -> None:
    for answer in (await ebr.http.get(path), await ebr.get("olga", path)):
        error = assert_error(answer, 404, "not_found")
        assert error["details"] is None


async def test_a_known_path_with_another_method_is_405_with_the_standard_body(ebr: Ebr) -> None:
    error = assert_error(await ebr.http.delete("/api/batches"), 405, "method_not_allowed")
    assert error["details"] is None
