"""A step's minimum duration over HTTP: completing it earlier is refused with the time left."""

from __future__ import annotations

import pytest
import yaml

from tests.api.harness import Ebr
from tests.api.steps import assert_error, complete, effective, start_batch, unique_code
from tests.factories import small_recipe

pytestmark = pytest.mark.e2e


async def test_a_step_completed_before_its_minimum_duration_is_refused(ebr: Ebr) -> None:
    data = small_recipe(unique_code()).model_dump(mode="json")
    first = data["procedure"][0]["operations"][0]["steps"][0]
    first["min_duration_minutes"] = 15
    await effective(ebr, yaml.safe_dump(data, sort_keys=False))
    answer = await start_batch(
        ebr, recipe=data["code"], planned_quantity={"value": "100", "unit": "kg"}
    )
    assert answer.status_code == 201, answer.text
    batch_id = answer.json()["batch_id"]

    body = assert_error(await complete(ebr, "olga", batch_id, first["id"]), 409, "too_early")
    assert 14 * 60 < body["details"]["seconds_left"] <= 15 * 60
    assert "earliest_at" in body["details"]
    records = (await ebr.get("aude", f"/api/batches/{batch_id}/records")).json()
    assert records == [], "a refused completion records nothing"
