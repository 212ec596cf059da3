"""Master recipes over HTTP: drafts (new, identical, changed, broken), list and read, diffs."""

from __future__ import annotations

import pytest
import yaml

from tests.api.harness import Ebr
from tests.api.steps import assert_error, unique_code, upload
from tests.factories import recipe_yaml, small_recipe

pytestmark = pytest.mark.e2e


async def test_the_example_recipes_are_listed_effective(ebr: Ebr) -> None:
    answer = await ebr.get("olga", "/api/recipes")
    assert answer.status_code == 200
    listed = {(r["code"], r["version"]): r for r in answer.json()}
    assert {("DEMO-SHORT", 1), ("GRAN-PCM500", 1), ("JUICE-OJ1000", 1)} <= set(listed)
    demo = listed[("DEMO-SHORT", 1)]
    assert (demo["step_count"], demo["product_code"], demo["author"], demo["state"]) == (
        6,
        "DEMO-BLEND",
        "ada",
        "effective",
    )
    assert len(demo["content_hash"]) == 64 and demo["effective_from"] is not None

    only = await ebr.get("olga", "/api/recipes", params={"code": "GRAN-PCM500"})
    assert [r["code"] for r in only.json()] == ["GRAN-PCM500"]


async def test_a_draft_saved_again_and_changed_keeps_every_revision(ebr: Ebr) -> None:
    recipe = small_recipe(unique_code())
    source = recipe_yaml(recipe)

    first = await upload(ebr, source)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["content_hash"] == recipe.content_hash()
    assert (body["code"], body["version"], body["revision"], body["state"], body["author"]) == (
        recipe.code,
        1,
        1,
        "draft",
        "ada",
    )

    again = await upload(ebr, source)
    assert again.status_code == 200, again.text
    assert (again.json()["revision"], again.json()["content_hash"]) == (1, recipe.content_hash())

    changed = recipe.model_copy(update={"name": "Another name, same version"})
    second = await upload(ebr, recipe_yaml(changed))
    assert second.status_code == 201, second.text
    assert (second.json()["revision"], second.json()["name"]) == (2, changed.name)

    read = await ebr.get("olga", f"/api/recipes/{recipe.code}/1")
    assert (read.json()["name"], read.json()["state"], read.json()["signatures"]) == (
        changed.name,
        "draft",
        [],
    )


async def test_a_recipe_can_be_sent_as_json_too(ebr: Ebr) -> None:
    recipe = small_recipe(unique_code())
    answer = await ebr.post("ada", "/api/recipes", json={"source": recipe_yaml(recipe)})
    assert answer.status_code == 201, answer.text
    assert answer.json()["content_hash"] == recipe.content_hash()


async def test_a_broken_recipe_is_422_naming_each_step_and_field(ebr: Ebr) -> None:
    data = small_recipe(unique_code()).model_dump(mode="json")
    steps = data["procedure"][0]["operations"][0]["steps"]
    steps[1]["inputs"][0]["min"] = "heavy"
    steps[3]["role"] = "chef"
    error = assert_error(await upload(ebr, yaml.safe_dump(data)), 422, "recipe_invalid")
    problems = {(p["where"].split(" › ")[-1], p["field"]) for p in error["details"]}
    assert problems == {("input 'weight'", "min"), ("step 'mixer'", "role")}
    assert "step 'weigh-api'" in error["details"][0]["where"]
    assert "step 'mixer'" in error["message"]
    listed = await ebr.get("olga", "/api/recipes", params={"code": data["code"]})
    assert listed.json() == [], "nothing was stored"


async def test_text_that_is_not_yaml_is_422(ebr: Ebr) -> None:
    error = assert_error(await upload(ebr, "code: [unclosed"), 422, "recipe_invalid")
    assert "not valid YAML" in error["message"]


async def test_another_content_type_is_415(ebr: Ebr) -> None:
    headers = {**await ebr.headers("ada"), "Content-Type": "text/html"}
    answer = await ebr.http.post("/api/recipes", content=b"<p>recipe</p>", headers=headers)
    assert_error(answer, 415, "unsupported_media_type")


@pytest.mark.parametrize("user", ["olga", "sam", "quinn", "aude"])
async def test_only_an_author_writes_a_draft(ebr: Ebr, user: str) -> None:
    recipe = small_recipe(unique_code())
    error = assert_error(await upload(ebr, recipe_yaml(recipe), user=user), 403, "role_not_allowed")
    assert error["details"] == {"allowed_roles": ["author"]}
    assert (await ebr.get("olga", f"/api/recipes/{recipe.code}/1")).status_code == 404


async def test_an_administrator_writes_no_draft(ebr: Ebr) -> None:
    recipe = small_recipe(unique_code())
    error = assert_error(
        await upload(ebr, recipe_yaml(recipe), user="adam"), 403, "segregation_of_duties"
    )
    assert "administration and GMP decisions are kept apart" in error["message"]


async def test_reading_one_recipe_version(ebr: Ebr) -> None:
    answer = await ebr.get("olga", "/api/recipes/DEMO-SHORT/1")
    assert answer.status_code == 200
    body = answer.json()
    assert body["recipe"]["code"] == "DEMO-SHORT"
    steps = [
        s["id"] for u in body["recipe"]["procedure"] for o in u["operations"] for s in o["steps"]
    ]
    assert steps[0] == "line-clearance" and len(steps) == 6
    assert body["source"].startswith("# A short recipe")
    assert [(s["meaning"], s["user_id"]) for s in body["signatures"]] == [
        ("authored", "ada"),
        ("reviewed", "sam"),
        ("approved", "quinn"),
    ]


@pytest.mark.parametrize("path", ["/api/recipes/NO-SUCH/1", "/api/recipes/DEMO-SHORT/99"])
async def test_an_unknown_recipe_is_404(ebr: Ebr, path: str) -> None:
    error = assert_error(await ebr.get("olga", path), 404, "recipe_not_found")
    code, version = path.split("/")[-2:]
    assert error["details"] == {"recipe_code": code, "recipe_version": int(version)}


async def test_a_version_that_is_not_a_number_is_422(ebr: Ebr) -> None:
    error = assert_error(
        await ebr.get("olga", "/api/recipes/DEMO-SHORT/one"), 422, "invalid_request"
    )
    assert [d["field"] for d in error["details"]] == ["version"]


async def test_the_diff_between_two_versions(ebr: Ebr) -> None:
    recipe = small_recipe(unique_code())
    assert (await upload(ebr, recipe_yaml(recipe))).status_code == 201
    data = recipe.model_dump(mode="json")
    data["version"] = 2
    steps = data["procedure"][0]["operations"][0]["steps"]
    steps[1]["inputs"][0]["max"] = "26"
    del steps[-1]
    assert (await upload(ebr, yaml.safe_dump(data))).status_code == 201
    answer = await ebr.get("olga", f"/api/recipes/{recipe.code}/diff", params={"from": 1, "to": 2})
    assert answer.status_code == 200, answer.text
    changes = {s["step_id"]: s["change"] for s in answer.json()["steps"]}
    assert changes["weigh-api"] == "changed" and changes["note"] == "removed"
    unknown = await ebr.get("olga", f"/api/recipes/{recipe.code}/diff", params={"from": 1, "to": 9})
    assert_error(unknown, 404, "recipe_not_found")
