"""The ``ebr`` command as a user runs it: a real process, its output and its exit code."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import yaml
from temporalio.testing import WorkflowEnvironment

from ebr.demo_recipes import approve_examples
from ebr.seed import demo_password
from tests.api.harness import BIN, REPO, Ebr, running_ebr, seeded_store, site_trust
from tests.factories import small_recipe

DEMO_SHORT = REPO / "examples" / "recipes" / "demo-short.yaml"


def ebr_cli(
    *args: str, data_dir: Path, env_extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``ebr`` with its state in ``data_dir`` and no other EBR_ settings from this process
    (but ``env_extra``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EBR_")}
    env["EBR_DATA_DIR"] = str(data_dir)
    env.update(env_extra or {})
    env["COLUMNS"] = "200"  # rich wraps long lines at the terminal width
    return subprocess.run(
        [str(BIN / "ebr"), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_clean_failure(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 1, result
    assert "Traceback" not in result.stdout + result.stderr
    assert "error:" in result.stderr


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = ebr_cli("--help", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    for command in ("up", "worker", "api", "demo", "db", "user", "recipe"):
        assert command in result.stdout
    assert not (tmp_path / "ebr.db").exists(), "asking for help touches no store"


@pytest.fixture(scope="module")
async def api(
    dev_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Ebr]:
    """A running ebr (SQLite) for ``ebr demo`` to drive over HTTP, its demo users' keys
    certified by the site CA in its data directory."""
    data_dir = tmp_path_factory.mktemp("data")
    with seeded_store("sqlite", tmp_path_factory.mktemp("store"), site_trust(data_dir)) as url:
        async with running_ebr(
            temporal=dev_env.client, store_url=url, data_dir=data_dir, namespace="ebr-cli"
        ) as app:
            await approve_examples(app.http)
            yield app


@pytest.fixture
def demo_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path


@pytest.mark.e2e
async def test_demo_drives_a_whole_batch_through_the_api(api: Ebr, demo_dir: Path) -> None:
    result = await asyncio.to_thread(
        ebr_cli, "demo", "--url", api.base_url, "--recipe", "DEMO-SHORT", data_dir=demo_dir
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "started batch DEMO-" in result.stdout
    line = next(x for x in result.stdout.splitlines() if x.startswith("batch DEMO-"))
    batch_id = line.split()[1].rstrip(":")
    assert line.endswith("awaiting_review, 6/6 steps done")

    batch = (await api.get("aude", f"/api/batches/{batch_id}")).json()
    assert (batch["status"], batch["steps_done"], batch["recipe_code"]) == (
        "awaiting_review",
        6,
        "DEMO-SHORT",
    )
    stations = {r["manifestation"]["station"] for s in batch["steps"] for r in s["records"]}
    assert stations == {"demo-terminal (127.0.0.1)"}
    records = (await api.get("aude", f"/api/batches/{batch_id}/records")).json()
    assert len(records) == 9, "six steps; three verified (the blend's moisture is critical)"
    assert {r["meaning"] for r in records} == {"performed", "verified"}
    assert all(r["signed"] is not None for r in records), "every demo step is signed"


@pytest.mark.e2e
@pytest.mark.parametrize("recipe", ["DEMO-SHORT", "GRAN-PCM500"])
async def test_demo_with_a_deviation_ends_released(api: Ebr, demo_dir: Path, recipe: str) -> None:
    result = await asyncio.to_thread(
        ebr_cli,
        "demo",
        "--with-deviation",
        "--url",
        api.base_url,
        "--recipe",
        recipe,
        data_dir=demo_dir,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    line = next(x for x in out.splitlines() if x.startswith("batch DEMO-"))
    batch_id = line.split()[1].rstrip(":")
    assert ": released, " in line
    for said in ("opened by the rules", "investigated", "classified it minor", "accepted it"):
        assert said in out, out
    assert "released the batch, signed" in out

    batch = (await api.get("aude", f"/api/batches/{batch_id}")).json()
    assert batch["status"] == "released"
    [dev] = (await api.get("aude", f"/api/batches/{batch_id}/deviations")).json()
    assert (dev["origin"], dev["stage"], dev["classification"]) == (
        "out_of_limit",
        "closed",
        "minor",
    )
    assert dev["disposition"]["decision"] == "accept"
    review = (await api.get("quinn", f"/api/batches/{batch_id}/review")).json()
    assert review["exceptions"] and all(item["reviewed"] for item in review["exceptions"])
    assert {item["reviewed_by"] for item in review["exceptions"]} == {"rita"}
    records = (await api.get("aude", f"/api/batches/{batch_id}/records")).json()
    assert all(r["signed"] is not None for r in records)
    decisions = [
        (r["step_id"], r["meaning"], r["manifestation"]["user_id"])
        for r in records
        if r["step_id"].startswith("@")
    ]
    assert decisions == [
        (f"@deviation:{dev['id']}", "classified", "quinn"),  # QA's signed classification
        (f"@deviation:{dev['id']}", "approved", "quinn"),  # and disposition
        ("@batch", "released", "rita"),
    ]
    # A step that summarises the batch's deviations (GRAN-PCM500's) lists the one raised.
    summaries = [
        v["value"]
        for r in records
        for v in r["values"]
        if "deviation" in v["name"] and r["meaning"] == "performed"
    ]
    assert bool(summaries) is (recipe == "GRAN-PCM500"), summaries
    assert all(dev["id"] in s or s == "minor only" for s in summaries), summaries
    performers = {
        r["manifestation"]["user_id"] for r in records if not r["step_id"].startswith("@")
    }
    assert "rita" not in performers


async def test_demo_against_no_api_exits_1(demo_dir: Path) -> None:
    result = await asyncio.to_thread(
        ebr_cli, "demo", "--url", "http://127.0.0.1:9", "--recipe", "DEMO-SHORT", data_dir=demo_dir
    )
    assert_clean_failure(result)
    assert "cannot reach the API at http://127.0.0.1:9" in result.stderr


def as_author(api: Ebr, *args: str, user: str = "ada") -> subprocess.CompletedProcess[str]:
    """``ebr recipe ...`` against the running ebr, as ``user`` (their demo password)."""
    env = {"EBR_DATABASE_URL": api.store_url, "EBR_PASSWORD": demo_password(user)}
    return ebr_cli("recipe", *args, "--url", api.base_url, "--user", user,
                   data_dir=api.data_dir, env_extra=env)  # fmt: skip


def reading(api: Ebr, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"EBR_DATABASE_URL": api.store_url}
    return ebr_cli("recipe", *args, data_dir=api.data_dir, env_extra=env)


def recipe_file(tmp_path: Path, data: dict[str, object], name: str = "recipe.yaml") -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return str(path)


async def test_an_author_saves_a_draft_then_the_same_again(api: Ebr, tmp_path: Path) -> None:
    source = recipe_file(tmp_path, small_recipe("CLI-MIX").model_dump(mode="json"))
    first = await asyncio.to_thread(as_author, api, "load", source)
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout.startswith("saved: CLI-MIX v1 as a draft by ada, sha256 ")
    again = await asyncio.to_thread(as_author, api, "load", source)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("already saved: CLI-MIX v1")
    assert again.stdout.split()[-1] == first.stdout.split()[-1], "the same content hash"
    version = (await api.get("aude", "/api/recipes/CLI-MIX/1")).json()
    assert (version["state"], version["author"]) == ("draft", "ada")

    listed = await asyncio.to_thread(reading, api, "list")
    assert listed.returncode == 0, listed.stderr
    line = next(x for x in listed.stdout.splitlines() if "CLI-MIX" in x)
    assert "Draft" in line and "ada" in line, listed.stdout
    assert "Effective" in listed.stdout, "the approved examples are effective"


async def test_a_broken_recipe_prints_every_problem_and_saves_nothing(
    api: Ebr, tmp_path: Path
) -> None:
    data = small_recipe("CLI-BROKEN").model_dump(mode="json")
    steps = data["procedure"][0]["operations"][0]["steps"]
    steps[1]["inputs"][0]["min"] = "heavy"
    steps[3]["role"] = "chef"
    result = await asyncio.to_thread(as_author, api, "load", recipe_file(tmp_path, data))
    assert_clean_failure(result)
    assert "step 'weigh-api' › input 'weight'" in result.stderr
    assert "step 'mixer'" in result.stderr
    assert "the recipe is invalid" in result.stderr
    assert (await api.get("aude", "/api/recipes/CLI-BROKEN/1")).status_code == 404


async def test_only_an_author_with_their_password_saves_a_draft(api: Ebr, tmp_path: Path) -> None:
    source = recipe_file(tmp_path, small_recipe("CLI-ROLE").model_dump(mode="json"))
    operator = await asyncio.to_thread(as_author, api, "load", source, user="olga")
    assert_clean_failure(operator)
    assert "author" in operator.stderr
    env = {"EBR_DATABASE_URL": api.store_url, "EBR_PASSWORD": "not-her-password"}
    wrong = await asyncio.to_thread(
        ebr_cli, "recipe", "load", source, "--url", api.base_url, "--user", "ada",
        data_dir=api.data_dir, env_extra=env,
    )  # fmt: skip
    assert_clean_failure(wrong)
    assert (await api.get("aude", "/api/recipes/CLI-ROLE/1")).status_code == 404


def test_loading_a_missing_file_exits_1(tmp_path: Path) -> None:
    result = ebr_cli("recipe", "load", str(tmp_path / "nope.yaml"), "--user", "ada",
                     data_dir=tmp_path, env_extra={"EBR_PASSWORD": "x"})  # fmt: skip
    assert_clean_failure(result)
    assert "cannot read" in result.stderr


def test_loading_with_no_server_exits_1(tmp_path: Path) -> None:
    result = ebr_cli("recipe", "load", str(DEMO_SHORT), "--user", "ada", "--url",
                     "http://127.0.0.1:9", data_dir=tmp_path,
                     env_extra={"EBR_PASSWORD": "x"})  # fmt: skip
    assert_clean_failure(result)
    assert "is `ebr up` running?" in result.stderr


async def test_diff_between_two_versions(api: Ebr, tmp_path: Path) -> None:
    first = small_recipe("CLI-DIFF", 1).model_dump(mode="json")
    second = small_recipe("CLI-DIFF", 2).model_dump(mode="json")
    steps = second["procedure"][0]["operations"][0]["steps"]
    steps[1]["inputs"][0]["max"] = "25.2"
    steps[1]["instructions"] = "Weigh 25 kg into the bin."
    del steps[4]
    for data, name in ((first, "v1.yaml"), (second, "v2.yaml")):
        saved = await asyncio.to_thread(as_author, api, "load", recipe_file(tmp_path, data, name))
        assert saved.returncode == 0, saved.stderr

    shown = await asyncio.to_thread(reading, api, "diff", "CLI-DIFF", "1", "2")
    assert shown.returncode == 0, shown.stderr
    out = " ".join(shown.stdout.split())
    assert "CLI-DIFF: v1 → v2" in out
    assert "weigh-api │ Changed" in out and "instructions" in out
    assert "Weigh 25 kg into the bin." in out
    assert "note │ Removed" in out

    as_json = await asyncio.to_thread(reading, api, "diff", "CLI-DIFF", "1", "2", "--json")
    changes = {s["step_id"]: s["change"] for s in json.loads(as_json.stdout)["steps"]}
    assert (changes["weigh-api"], changes["note"], changes["read-sop"]) == (
        "changed", "removed", "unchanged",
    )  # fmt: skip

    missing = await asyncio.to_thread(reading, api, "diff", "CLI-DIFF", "1", "9")
    assert_clean_failure(missing)
    assert "there is no recipe CLI-DIFF v9" in missing.stderr
