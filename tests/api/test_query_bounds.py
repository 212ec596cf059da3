"""Queries that used to reach a 500: a time without a zone, and integers past the store's range.
Each is a 422 naming the field and why; nothing is guessed."""

from __future__ import annotations

import pytest

from tests.api.harness import Ebr
from tests.api.steps import assert_error

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("user", "path", "field"),
    [
        ("quinn", "/api/audit?since=2026-11-30", "since"),
        ("quinn", "/api/audit?until=2026-11-30T10:00:00", "until"),
        ("quinn", "/api/alerts?since=2026-11-30", "since"),
        ("quinn", f"/api/audit?offset={2**63}", "offset"),
        ("olga", f"/api/batches?offset={2**63}", "offset"),
        ("olga", f"/api/batches?limit={2**64}", "limit"),
        ("olga", f"/api/recipes/DEMO-SHORT/{2**63}", "version"),
    ],
)
async def test_an_out_of_range_query_is_422_naming_the_field(
    ebr: Ebr, user: str, path: str, field: str
) -> None:
    error = assert_error(await ebr.get(user, path), 422, "invalid_request")
    assert [d["field"] for d in error["details"]] == [field], error


async def test_a_zoned_time_is_read_as_given(ebr: Ebr) -> None:
    answer = await ebr.get("quinn", "/api/audit", params={"since": "2026-11-30T01:00:00+01:00"})
    assert answer.status_code == 200, answer.text
