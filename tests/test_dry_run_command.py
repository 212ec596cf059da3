"""``ebr recipe simulate FILE`` as an author runs it: a real process, its output and exit code."""

from __future__ import annotations

from pathlib import Path

from tests.domain.builders import EXAMPLES
from tests.dry_run_recipes import UNREACHABLE
from tests.test_cli import assert_clean_failure, ebr_cli


def test_a_good_recipe_prints_its_dry_run_and_exits_0(tmp_path: Path) -> None:
    result = ebr_cli("recipe", "simulate", str(EXAMPLES / "demo-short.yaml"), data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Dry run of DEMO-SHORT v1" in out
    for step_id in ("line-clearance", "weigh-powder", "blend-moisture", "qa-release"):
        assert step_id in out
    assert "powder-mass = 10.06 kg (limits 9.95 to 10.05 kg)" in out
    assert "opened, on a critical parameter" in out
    assert "No problems found." in out
    assert not (tmp_path / "ebr.db").exists(), "a dry run touches no store of the site"


def test_a_recipe_with_a_problem_names_it_and_exits_1(tmp_path: Path) -> None:
    recipe = tmp_path / "late.yaml"
    recipe.write_text(UNREACHABLE, encoding="utf-8")
    result = ebr_cli("recipe", "simulate", str(recipe), data_dir=tmp_path / "data")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "1 problem(s):" in result.stdout
    assert "dry: step 'dry' must be completed within 60 minutes of 'granulate'" in result.stdout
    assert "1 h 10 min of plant time" in result.stdout


def test_a_file_that_is_not_a_recipe_is_refused_with_its_problems(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(UNREACHABLE.replace("kind: instruction, instructions: Pack.", "kind: pack"))
    result = ebr_cli("recipe", "simulate", str(broken), data_dir=tmp_path / "data")
    assert_clean_failure(result)
    assert f"{broken} is not a valid recipe" in result.stderr
    assert "step 'pack'" in result.stderr and "kind" in result.stderr
    assert "Dry run of" not in result.stdout

    missing = ebr_cli("recipe", "simulate", str(tmp_path / "none.yaml"), data_dir=tmp_path)
    assert_clean_failure(missing)
    assert "cannot read" in missing.stderr
