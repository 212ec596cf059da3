"""How fast a bad recipe is refused, against reading the largest good one, in one run.

``python -m bench.recipe_refusals [--runs N]`` parses each of the issue's bad inputs (an alias
bomb, 10,000 steps as YAML and as compact JSON, a 5 MB document, a text of tiny values at the
value budget, nesting past the limit) and, as the baseline, the largest example recipe
(gran-pcm500, 33 steps); it prints the median of ``N`` runs of each and its ratio to the
baseline. The target: every refusal well under a second (the issue's bound) on two cores.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from ebr.domain.recipe_limits import MAX_STEPS
from ebr.domain.recipe_loading import parse_recipe
from ebr.domain.refusals import RecipeInvalid

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "recipes" / "gran-pcm500.yaml"


def _bomb() -> str:
    lines = ['a0: &a0 ["lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    return "\n".join(lines) + "\n"


def _steps(count: int, *, as_json: bool) -> str:
    step = {"name": "S", "instructions": "Do it.", "kind": "instruction"}
    data = {
        "code": "BENCH", "version": 1, "name": "Bench",
        "product": {"code": "P", "name": "P"}, "batch_size": {"value": "1", "unit": "kg"},
        "procedure": [{"id": "u", "name": "U", "operations": [
            {"id": "o", "name": "O", "steps": [{"id": f"s{i}", **step} for i in range(count)]}
        ]}],
    }  # fmt: skip
    if as_json:
        return json.dumps(data, separators=(",", ":"))
    lines = ["code: BENCH", "version: 1", "name: Bench", "product: {code: P, name: P}",
             'batch_size: {value: "1", unit: kg}', "procedure:", "  - id: u", "    name: U",
             "    operations:", "      - id: o", "        name: O", "        steps:"]  # fmt: skip
    lines += [f"          - {{id: s{i}, name: S, instructions: Do it., kind: instruction}}"
              for i in range(count)]  # fmt: skip
    return "\n".join(lines) + "\n"


INPUTS: dict[str, Callable[[], str]] = {
    "alias bomb (1 KB)": _bomb,
    f"{10_000:,} steps, YAML": lambda: _steps(10_000, as_json=False),
    f"{10_000:,} steps, compact JSON": lambda: _steps(10_000, as_json=True),
    "5 MB document": lambda: "code: X\ndescription: " + "x" * 5_000_000 + "\n",
    "tiny values (empty lists)": lambda: "a: [" + ",".join(["[]"] * 120_000) + "]\n",
    "nesting 10,000 deep": lambda: "a: " + "[" * 10_000 + "]" * 10_000 + "\n",
}


def _median(text: str, runs: int, *, refused: bool) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        try:
            parse_recipe(text)
        except RecipeInvalid:
            if not refused:
                raise
        else:
            if refused:
                raise AssertionError("the bad input was accepted")
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    baseline = _median(EXAMPLE.read_text(encoding="utf-8"), runs, refused=False)
    print(f"recipe refusals, median of {runs} runs (MAX_STEPS = {MAX_STEPS:,})")
    print(f"{'input':34} {'bytes':>10} {'ms':>9} {'x example':>10}")
    print(f"{'gran-pcm500 accepted (baseline)':34} {EXAMPLE.stat().st_size:>10,} "
          f"{baseline * 1000:>9.1f} {1.0:>10.2f}")  # fmt: skip
    for name, make in INPUTS.items():
        text = make()
        seconds = _median(text, runs, refused=True)
        print(f"{name:34} {len(text.encode()):>10,} {seconds * 1000:>9.1f} "
              f"{seconds / baseline:>10.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
