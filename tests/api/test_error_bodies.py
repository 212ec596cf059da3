"""An answer to a bad request stays short whatever the request: at most ``MAX_DETAILS`` problems
are listed, the rest counted."""

from __future__ import annotations

from api.errors import MAX_DETAILS, body


def test_a_long_list_of_problems_is_cut_and_counted() -> None:
    details = [{"field": f"f{n}", "reason": "bad"} for n in range(10_000)]
    answer = body("invalid_request", "the request is not valid", details)
    assert len(answer["details"]) == MAX_DETAILS + 1
    assert answer["details"][-1] == {"field": None, "reason": "9900 more problems not listed"}


def test_a_short_list_is_kept_whole() -> None:
    details = [{"field": "a", "reason": "bad"}]
    assert body("invalid_request", "m", details)["details"] == details
