"""The issue's bad recipes, sent to the API as an author would: each refused with a 4xx naming the
problem, and nothing stored (the refusal happens before the recipe's workflow is asked)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from tests.api.harness import Ebr
from tests.api.steps import unique_code, upload
from tests.factories import recipe_yaml, small_recipe

pytestmark = pytest.mark.e2e


def _bomb(code: str) -> str:
    """The "billion laughs": nine levels of nine aliases, 1 KB of text, 10^9 values expanded."""
    lines = [f"code: {code}", 'a0: &a0 ["lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    return "\n".join(lines) + "\n"


def _steps(code: str, count: int) -> str:
    """``count`` short instruction steps, written compactly (JSON is YAML) to stay under the
    size limit, so that the step count is what is refused."""
    data = small_recipe(code).model_dump(mode="json", exclude_defaults=True)
    step = {"name": "S", "instructions": "Do it.", "kind": "instruction"}
    data["procedure"][0]["operations"][0]["steps"] = [{"id": f"s{i}", **step} for i in range(count)]
    return json.dumps(data, separators=(",", ":"))


def _changed(code: str, change: Callable[[dict[str, Any]], None]) -> str:
    data = small_recipe(code).model_dump(mode="json")
    change(data["procedure"][0]["operations"][0]["steps"])
    return yaml.safe_dump(data)


def _duplicate_ids(steps: list[dict[str, Any]]) -> None:
    steps[2]["id"] = steps[1]["id"]


def _unknown_unit(steps: list[dict[str, Any]]) -> None:
    steps[1]["inputs"][0]["unit"] = "furlong"


def _negative_timer(steps: list[dict[str, Any]]) -> None:
    steps[3]["max_duration_minutes"] = -60


def _unknown_role(steps: list[dict[str, Any]]) -> None:
    steps[3]["role"] = "chef"


def _huge(code: str) -> str:
    data = small_recipe(code).model_dump(mode="json")
    data["description"] = "x" * (5 * 1024 * 1024)
    return yaml.safe_dump(data, width=10**9)


BAD: dict[str, tuple[Callable[[str], str], tuple[int, ...], str]] = {
    "a YAML bomb": (_bomb, (422,), "alias"),
    "10,000 steps": (lambda c: _steps(c, 10_000), (413, 422), "steps"),
    "duplicate step ids": (lambda c: _changed(c, _duplicate_ids), (422,), "used more than once"),
    "an unknown unit": (lambda c: _changed(c, _unknown_unit), (422,), "unit"),
    "a timer of minus one hour": (lambda c: _changed(c, _negative_timer), (422,), "max_duration"),
    "a role that does not exist": (lambda c: _changed(c, _unknown_role), (422,), "role"),
    "a document of 5 MB": (_huge, (413, 422), "MB"),
}


@pytest.mark.parametrize("name", list(BAD), ids=list(BAD))
async def test_a_bad_recipe_is_refused_in_words_and_nothing_is_stored(ebr: Ebr, name: str) -> None:
    make, statuses, word = BAD[name]
    code = unique_code()
    source = make(code)
    started = time.perf_counter()
    answer = await upload(ebr, source)
    seconds = time.perf_counter() - started
    assert answer.status_code in statuses, answer.text[:500]
    body = answer.json()
    assert body["error"] in ("recipe_invalid", "request_too_large"), body
    said = (body["message"] + " " + str(body.get("details"))).lower()
    assert word.lower() in said, said[:500]
    assert len(answer.content) < 100_000, "the refusal does not echo the document"
    listed = await ebr.get("olga", "/api/recipes", params={"code": code})
    assert listed.json() == [], "nothing was stored"
    print(f"{name}: {answer.status_code} in {seconds * 1000:.0f} ms")


async def test_the_good_recipe_those_were_made_from_is_accepted(ebr: Ebr) -> None:
    """The same builders with nothing wrong: what was refused was the fault, not the form."""
    answer = await upload(ebr, recipe_yaml(small_recipe(unique_code())))
    assert answer.status_code == 201, answer.text
