"""Starting, listing and reading batches over HTTP, on the real dev server and worker."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.api.harness import Ebr, sign
from tests.api.steps import (
    DEMO_SHORT,
    assert_error,
    batch_number,
    effective,
    run_steps,
    start_batch,
    started,
    unique_code,
)
from tests.factories import recipe_yaml, small_recipe

pytestmark = pytest.mark.e2e


async def test_a_supervisor_starts_a_batch_with_every_step_pending(ebr: Ebr) -> None:
    number = batch_number()
    answer = await start_batch(ebr, number)
    assert answer.status_code == 201, answer.text
    batch = answer.json()
    assert (batch["batch_id"], batch["batch_number"]) == (number, number)
    assert (batch["recipe_code"], batch["recipe_version"], batch["product_code"]) == (
        "DEMO-SHORT",
        1,
        "DEMO-BLEND",
    )
    assert (batch["status"], batch["steps_done"], batch["steps_total"]) == ("in_progress", 0, 6)
    assert batch["created_by"] == "sam"
    assert batch["completed_at"] is None
    assert batch["next_step"] == "line-clearance"
    assert [s["step_id"] for s in batch["steps"]] == [step for step, *_ in DEMO_SHORT]
    assert {s["status"] for s in batch["steps"]} == {"pending"}
    assert all(s["records"] == [] for s in batch["steps"])

    read = await ebr.get("olga", f"/api/batches/{number}")
    assert read.status_code == 200, "the batch is readable as soon as it was started"
    assert read.json() == batch


async def test_an_admin_starts_no_batch(ebr: Ebr) -> None:
    """An administrator holds no GMP role (docs/accounts.md): refused in words, nothing made."""
    number = batch_number()
    error = assert_error(await start_batch(ebr, number, user="adam"), 403, "role_not_allowed")
    assert error["message"] == "this needs one of the roles: supervisor"
    assert_error(await ebr.get("sam", f"/api/batches/{number}"), 404, "batch_not_found")


async def test_a_used_batch_number_is_409(ebr: Ebr) -> None:
    number = await started(ebr)
    error = assert_error(await start_batch(ebr, number), 409, "batch_exists")
    assert error["details"] == {"batch_number": number}
    assert number in error["message"]


async def test_an_unknown_recipe_is_404(ebr: Ebr) -> None:
    number = batch_number()
    error = assert_error(await start_batch(ebr, number, recipe="NO-SUCH"), 404, "recipe_not_found")
    assert error["details"] == {"recipe_code": "NO-SUCH", "recipe_version": 1}
    assert_error(await ebr.get("sam", f"/api/batches/{number}"), 404, "batch_not_found")


@pytest.mark.parametrize("user", ["olga", "quinn", "aude"])
async def test_only_supervisors_start_batches(ebr: Ebr, user: str) -> None:
    number = batch_number()
    error = assert_error(await start_batch(ebr, number, user=user), 403, "role_not_allowed")
    assert error["details"] == {"required_roles": ["supervisor"]}
    assert_error(await ebr.get("sam", f"/api/batches/{number}"), 404, "batch_not_found")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"batch_number": "has space"}, "batch_number"),
        ({"batch_number": "-leading-dash"}, "batch_number"),
        ({"batch_number": "B" * 65}, "batch_number"),
        ({"recipe_version": 0}, "recipe_version"),
        ({"planned_quantity": {"value": "10", "unit": "furlong"}}, "planned_quantity.unit"),
        ({"planned_quantity": {"value": "ten", "unit": "kg"}}, "planned_quantity.value"),
        ({"planned_quantity": None}, "planned_quantity"),
    ],
)
async def test_a_bad_start_request_is_422_naming_the_field(
    ebr: Ebr, body: dict[str, Any], field: str
) -> None:
    error = assert_error(await start_batch(ebr, **body), 422, "invalid_request")
    assert [d["field"] for d in error["details"]] == [field]
    assert field in error["message"]


async def test_missing_fields_are_each_named(ebr: Ebr) -> None:
    answer = await ebr.post("sam", "/api/batches", json={"recipe_code": "DEMO-SHORT"})
    error = assert_error(answer, 422, "invalid_request")
    assert {d["field"] for d in error["details"]} == {
        "recipe_version",
        "batch_number",
        "planned_quantity",
    }
    assert {d["reason"] for d in error["details"]} == {"Field required"}


async def test_a_planned_quantity_in_grams_is_stored_in_the_recipes_kilograms(ebr: Ebr) -> None:
    answer = await start_batch(ebr, planned_quantity={"value": "2500", "unit": "g"})
    assert answer.status_code == 201, answer.text
    planned = answer.json()["planned_quantity"]
    assert (Decimal(planned["value"]), planned["unit"]) == (Decimal("2.5"), "kg")
    read = await ebr.get("sam", f"/api/batches/{answer.json()['batch_id']}")
    assert read.json()["planned_quantity"] == planned


async def test_a_planned_quantity_in_another_dimension_is_422(ebr: Ebr) -> None:
    number = batch_number()
    answer = await start_batch(ebr, number, planned_quantity={"value": "10", "unit": "min"})
    error = assert_error(answer, 422, "unit_mismatch")
    assert error["details"] == {"from": "min", "to": "kg"}
    assert_error(await ebr.get("sam", f"/api/batches/{number}"), 404, "batch_not_found")


@pytest.mark.parametrize("value", ["0", "-1"])
async def test_a_planned_quantity_must_be_positive(ebr: Ebr, value: str) -> None:
    answer = await start_batch(ebr, planned_quantity={"value": value, "unit": "kg"})
    error = assert_error(answer, 422, "invalid_request")
    assert error["details"] == [
        {"field": "planned_quantity.value", "reason": "must be greater than 0"}
    ]


async def test_listing_filters_by_status_and_recipe(ebr: Ebr) -> None:
    recipe = small_recipe(unique_code())
    await effective(ebr, recipe_yaml(recipe))
    numbers = [batch_number(), batch_number()]
    for number in numbers:
        answer = await start_batch(
            ebr, number, recipe=recipe.code, planned_quantity={"value": "100", "unit": "kg"}
        )
        assert answer.status_code == 201, answer.text
    done, open_ = numbers
    for step_id, user, values in [
        ("read-sop", "olga", {}),
        ("weigh-api", "olga", {"weight": "25.0"}),
        ("clean-check", "olga", {"clean": True}),
        ("mixer", "sam", {"speed": "low"}),
        ("note", "omar", {}),
    ]:
        path = f"/api/batches/{done}/steps/{step_id}"
        body = {"values": values, "signature": sign(user, "performed")}
        assert (await ebr.post(user, f"{path}/complete", json=body)).status_code == 200
        if step_id == "weigh-api":
            verified = {"signature": sign("quinn", "verified")}
            assert (await ebr.post("quinn", f"{path}/verify", json=verified)).status_code == 200

    async def listed(**params: str) -> list[str]:
        answer = await ebr.get("aude", "/api/batches", params=params)
        assert answer.status_code == 200, answer.text
        return [b["batch_id"] for b in answer.json()]

    assert sorted(await listed(recipe_code=recipe.code)) == sorted(numbers)
    assert await listed(recipe_code=recipe.code, status="awaiting_review") == [done]
    assert await listed(recipe_code=recipe.code, status="in_progress") == [open_]
    assert await listed(recipe_code=recipe.code, status="released") == []
    in_progress = await ebr.get("aude", "/api/batches", params={"status": "in_progress"})
    assert {b["status"] for b in in_progress.json()} == {"in_progress"}
    assert done not in {b["batch_id"] for b in in_progress.json()}

    error = assert_error(
        await ebr.get("aude", "/api/batches", params={"status": "finished"}), 422, "invalid_request"
    )
    assert [d["field"] for d in error["details"]] == ["status"]


async def test_listing_pages(ebr: Ebr) -> None:
    for _ in range(3):
        await started(ebr)
    first = (await ebr.get("sam", "/api/batches", params={"limit": "2"})).json()
    second = (await ebr.get("sam", "/api/batches", params={"limit": "2", "offset": "2"})).json()
    assert len(first) == 2 and second
    assert not {b["batch_id"] for b in first} & {b["batch_id"] for b in second}
    assert_error(
        await ebr.get("sam", "/api/batches", params={"limit": "0"}), 422, "invalid_request"
    )


async def test_an_unknown_batch_is_404(ebr: Ebr) -> None:
    error = assert_error(
        await ebr.get("olga", "/api/batches/NO-SUCH-BATCH"), 404, "batch_not_found"
    )
    assert error["details"] == {"batch_id": "NO-SUCH-BATCH"}
    for action, meaning in (("complete", "performed"), ("verify", "verified")):
        answer = await ebr.post(
            "olga",
            f"/api/batches/NO-SUCH-BATCH/steps/line-clearance/{action}",
            json={"signature": sign("olga", meaning)},
        )
        assert_error(answer, 404, "batch_not_found")
    records = await ebr.get("olga", "/api/batches/NO-SUCH-BATCH/records")
    assert assert_error(records, 404, "batch_not_found")["details"] == {"batch_id": "NO-SUCH-BATCH"}


async def test_a_whole_batch_shows_its_records_in_the_detail(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    await run_steps(ebr, batch_id)
    batch = (await ebr.get("aude", f"/api/batches/{batch_id}")).json()
    assert (batch["status"], batch["steps_done"], batch["next_step"]) == (
        "awaiting_review",
        6,
        None,
    )
    assert batch["completed_at"] is not None
    assert {s["status"] for s in batch["steps"]} == {"done"}
    weigh = batch["steps"][1]
    assert [(r["meaning"], r["manifestation"]["user_id"]) for r in weigh["records"]] == [
        ("performed", "olga"),
        ("verified", "sam"),
    ]
    moisture = batch["steps"][4]  # verify: false, but its loss on drying is critical
    assert [r["meaning"] for r in moisture["records"]] == ["performed", "verified"]
    seqs = [r["seq"] for s in batch["steps"] for r in s["records"]]
    assert seqs == list(range(1, 10))
