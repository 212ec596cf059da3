"""A recipe version's life over HTTP: drafted, submitted, reviewed, approved (now or later),
effective, superseded, retired; every transition a signature; every refusal in words; only an
effective version starts a batch, and a running batch keeps the version it started on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import yaml

from tests.api.harness import Ebr, sign
from tests.api.steps import assert_error, complete, start_batch, unique_code, upload
from tests.dry_run_recipes import unreachable
from tests.factories import recipe_yaml, small_recipe

pytestmark = pytest.mark.e2e

MEANINGS = {
    "submit": "authored",
    "review": "reviewed",
    "return": "rejected",
    "approve": "approved",
    "retire": "retired",
}


async def act(
    ebr: Ebr, user: str, code: str, version: int, action: str, **body: Any
) -> httpx.Response:
    signature = sign(user, MEANINGS[action])
    return await ebr.post(
        user, f"/api/recipes/{code}/{version}/{action}", json={**body, "signature": signature}
    )


async def drafted(ebr: Ebr, version: int = 1, code: str | None = None, **changes: Any) -> str:
    recipe = small_recipe(code or unique_code()).model_copy(update={"version": version, **changes})
    answer = await upload(ebr, recipe_yaml(recipe))
    assert answer.status_code == 201, answer.text
    return recipe.code


async def effective_now(ebr: Ebr, code: str, version: int = 1) -> dict[str, Any]:
    for user, action in (("ada", "submit"), ("sam", "review"), ("quinn", "approve")):
        answer = await act(ebr, user, code, version, action)
        assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


async def state(ebr: Ebr, code: str, version: int = 1) -> str:
    answer = await ebr.get("olga", f"/api/recipes/{code}/{version}")
    assert answer.status_code == 200, answer.text
    found: str = answer.json()["state"]
    return found


async def test_a_version_goes_from_draft_to_effective_by_three_signatures(ebr: Ebr) -> None:
    code = await drafted(ebr)
    refused = await start_batch(ebr, recipe=code, planned_quantity={"value": "100", "unit": "kg"})
    body = assert_error(refused, 409, "recipe_not_effective")
    assert "it is a draft" in body["message"] and body["details"]["state"] == "draft"

    submitted = await act(ebr, "ada", code, 1, "submit")
    assert submitted.status_code == 200, submitted.text
    record = submitted.json()["record"]
    assert record["subject"] == {"kind": "recipe-version", "id": f"{code}/1"}
    assert (record["meaning"], record["manifestation"]["user_id"]) == ("authored", "ada")
    assert submitted.json()["version"]["state"] == "in_review"
    body = assert_error(
        await start_batch(ebr, recipe=code, planned_quantity={"value": "100", "unit": "kg"}),
        409,
        "recipe_not_effective",
    )
    assert "in review" in body["message"]
    locked = await upload(ebr, recipe_yaml(small_recipe(code).model_copy(update={"name": "Late"})))
    assert_error(locked, 409, "recipe_state")

    assert (await act(ebr, "sam", code, 1, "review")).status_code == 200
    approved = await act(ebr, "quinn", code, 1, "approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["version"]["state"] == "effective"

    started = await start_batch(ebr, recipe=code, planned_quantity={"value": "100", "unit": "kg"})
    assert started.status_code == 201, started.text
    detail = (await ebr.get("aude", f"/api/recipes/{code}/1")).json()
    assert [(s["meaning"], s["user_id"]) for s in detail["signatures"]] == [
        ("authored", "ada"),
        ("reviewed", "sam"),
        ("approved", "quinn"),
    ]
    assert started.json()["recipe_hash"] == detail["content_hash"]


async def test_author_reviewer_and_approver_are_three_people(ebr: Ebr) -> None:
    code = await drafted(ebr)
    assert_error(await act(ebr, "olga", code, 1, "submit"), 403, "role_not_allowed")
    assert_error(await act(ebr, "ada", code, 1, "review"), 403, "role_not_allowed")
    assert (await act(ebr, "ada", code, 1, "submit")).status_code == 200
    assert_error(await act(ebr, "quinn", code, 1, "approve"), 409, "recipe_state")  # unreviewed
    assert_error(await act(ebr, "olga", code, 1, "review"), 403, "role_not_allowed")
    assert (await act(ebr, "quinn", code, 1, "review")).status_code == 200
    body = assert_error(await act(ebr, "quinn", code, 1, "approve"), 403, "segregation_of_duties")
    assert "a third person approves" in body["message"]
    assert_error(await act(ebr, "sam", code, 1, "approve"), 403, "role_not_allowed")
    assert (await act(ebr, "rita", code, 1, "approve")).status_code == 200
    assert await state(ebr, code) == "effective"


async def test_sent_back_with_comments_edited_and_submitted_again(ebr: Ebr) -> None:
    code = await drafted(ebr)
    assert (await act(ebr, "ada", code, 1, "submit")).status_code == 200
    no_comment = await ebr.post(
        "sam", f"/api/recipes/{code}/1/return", json={"signature": sign("sam", "rejected")}
    )
    assert_error(no_comment, 422, "invalid_request")
    back = await act(ebr, "sam", code, 1, "return", reason="the mixer speed must be 'low' only")
    assert back.status_code == 200, back.text
    assert back.json()["version"]["state"] == "draft"
    changed = small_recipe(code).model_copy(update={"name": "Mixed at low speed"})
    saved = await upload(ebr, recipe_yaml(changed))
    assert (saved.status_code, saved.json()["revision"]) == (201, 2)
    assert (await act(ebr, "ada", code, 1, "submit")).status_code == 200
    assert_error(await act(ebr, "quinn", code, 1, "approve"), 409, "recipe_state")  # not reviewed
    assert (await act(ebr, "sam", code, 1, "review")).status_code == 200
    assert (await act(ebr, "quinn", code, 1, "approve")).status_code == 200
    detail = (await ebr.get("aude", f"/api/recipes/{code}/1")).json()
    assert detail["name"] == "Mixed at low speed"
    assert [s["meaning"] for s in detail["signatures"]] == [
        "authored",
        "rejected",
        "authored",
        "reviewed",
        "approved",
    ]
    assert detail["signatures"][1]["reason"] == "the mixer speed must be 'low' only"


async def test_an_approval_effective_later_starts_no_batch_until_then(ebr: Ebr) -> None:
    code = await drafted(ebr)
    assert (await act(ebr, "ada", code, 1, "submit")).status_code == 200
    assert (await act(ebr, "sam", code, 1, "review")).status_code == 200
    past = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    assert_error(
        await act(ebr, "quinn", code, 1, "approve", effective_from=past), 409, "recipe_state"
    )
    naive = await act(ebr, "quinn", code, 1, "approve", effective_from="2030-01-01T06:00:00")
    assert_error(naive, 422, "invalid_request")
    later = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    approved = await act(ebr, "quinn", code, 1, "approve", effective_from=later)
    assert approved.status_code == 200, approved.text
    assert approved.json()["version"]["state"] == "approved"
    refused = await start_batch(ebr, recipe=code, planned_quantity={"value": "100", "unit": "kg"})
    body = assert_error(refused, 409, "recipe_not_effective")
    assert "approved but effective only from" in body["message"]


async def test_a_new_version_supersedes_the_old_without_moving_a_running_batch(ebr: Ebr) -> None:
    code = await drafted(ebr)
    await effective_now(ebr, code)
    running = await start_batch(ebr, recipe=code, planned_quantity={"value": "100", "unit": "kg"})
    assert running.status_code == 201, running.text
    batch_id, old_hash = running.json()["batch_id"], running.json()["recipe_hash"]

    data = small_recipe(code).model_dump(mode="json")
    data["version"] = 2
    data["procedure"][0]["operations"][0]["steps"][0]["instructions"] = "Read the new SOP."
    assert (await upload(ebr, yaml.safe_dump(data))).status_code == 201
    await effective_now(ebr, code, version=2)
    assert (await state(ebr, code, 1), await state(ebr, code, 2)) == ("superseded", "effective")

    refused = await start_batch(ebr, recipe=code, planned_quantity={"value": "100", "unit": "kg"})
    body = assert_error(refused, 409, "recipe_not_effective")
    assert "superseded" in body["message"]
    newer = await start_batch(
        ebr, recipe=code, recipe_version=2, planned_quantity={"value": "100", "unit": "kg"}
    )
    assert newer.status_code == 201, newer.text
    assert newer.json()["recipe_hash"] != old_hash

    done = await complete(ebr, "olga", batch_id, "read-sop")
    assert done.status_code == 200, done.text
    batch = (await ebr.get("aude", f"/api/batches/{batch_id}")).json()
    assert (batch["recipe_version"], batch["recipe_hash"]) == (1, old_hash)


async def test_qa_retires_a_version_with_a_reason(ebr: Ebr) -> None:
    code = await drafted(ebr)
    assert_error(await act(ebr, "quinn", code, 1, "retire", reason="x"), 409, "recipe_state")
    await effective_now(ebr, code)
    assert_error(await act(ebr, "sam", code, 1, "retire", reason="old"), 403, "role_not_allowed")
    retired = await act(ebr, "rita", code, 1, "retire", reason="product discontinued")
    assert retired.status_code == 200, retired.text
    assert retired.json()["version"]["state"] == "retired"
    refused = await start_batch(ebr, recipe=code, planned_quantity={"value": "100", "unit": "kg"})
    assert "it was retired" in assert_error(refused, 409, "recipe_not_effective")["message"]


async def test_a_signature_on_content_that_changed_meanwhile_is_refused(ebr: Ebr) -> None:
    code = await drafted(ebr)
    unknown = await act(ebr, "ada", code, 7, "submit")
    assert_error(unknown, 404, "recipe_not_found")
    wrong = await ebr.post(
        "ada",
        f"/api/recipes/{code}/1/submit",
        json={"signature": sign("ada", "approved")},
    )
    assert_error(wrong, 422, "wrong_meaning")
    nothing = await ebr.post("ada", f"/api/recipes/{code}/1/promote", json={})
    assert_error(nothing, 404, "unknown_action")
    assert await state(ebr, code) == "draft"


async def test_a_draft_whose_dry_run_finds_a_problem_is_not_submitted(ebr: Ebr) -> None:
    """``dry`` must follow ``granulate`` within 60 minutes though 70 must pass first: the dry
    run finds the deadline unreachable, and the author's submission is refused in words."""
    code = unique_code()
    source = recipe_yaml(unreachable().model_copy(update={"code": code}))
    assert (await upload(ebr, source)).status_code == 201
    simulated = await ebr.post("ada", f"/api/recipes/{code}/1/simulate")
    assert simulated.status_code == 200, simulated.text
    kinds = {(f["step_id"], f["kind"]) for f in simulated.json()["findings"]}
    assert ("dry", "unreachable") in kinds
    refused = assert_error(await act(ebr, "ada", code, 1, "submit"), 409, "recipe_state")
    assert "the dry run of recipe" in refused["message"] and "problem" in refused["message"]
    assert await state(ebr, code) == "draft"
    detail = (await ebr.get("aude", f"/api/recipes/{code}/1")).json()
    assert detail["signatures"] == [], "nothing was signed"
