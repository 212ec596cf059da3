"""Building real domain objects for tests: recipes, headers and actors."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from ebr.domain.batch import Actor, BatchHeader
from ebr.domain.recipe import Quantity, Recipe
from ebr.domain.recipe_loading import parse_recipe, recipe_from_data
from ebr.domain.roles import Role

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "recipes"

OPERATOR = Actor(
    user_id="olga", full_name="Olga Operator", roles=(Role.OPERATOR,), station="line-1"
)
OPERATOR_2 = Actor(
    user_id="omar", full_name="Omar Operator", roles=(Role.OPERATOR,), station="line-1"
)
SUPERVISOR = Actor(
    user_id="sam",
    full_name="Sam Supervisor",
    roles=(Role.SUPERVISOR, Role.OPERATOR),
    station="office",
)
QA = Actor(user_id="quinn", full_name="Quinn QA", roles=(Role.QA,), station="qa-lab")


def small_recipe(code: str = "TEST-MIX", version: int = 1) -> Recipe:
    """Five steps: an instruction, a weighing that needs verification, a check, a choice, a note."""
    return recipe_from_data(
        {
            "code": code,
            "version": version,
            "name": "Test mix",
            "product": {"code": "MIX-1", "name": "Test mixture"},
            "batch_size": {"value": "100", "unit": "kg"},
            "procedure": [
                {
                    "id": "prep",
                    "name": "Preparation",
                    "operations": [
                        {
                            "id": "dispense",
                            "name": "Dispense",
                            "steps": [
                                _step("read-sop", "instruction", inputs=[]),
                                _step(
                                    "weigh-api",
                                    "record",
                                    verify=True,
                                    inputs=[
                                        {
                                            "name": "weight",
                                            "label": "Net weight",
                                            "type": "number",
                                            "unit": "kg",
                                            "min": 24.5,
                                            "max": 25.5,
                                            "critical": True,
                                        },
                                    ],
                                ),
                                _step(
                                    "clean-check",
                                    "check",
                                    inputs=[
                                        {"name": "clean", "label": "Vessel clean", "type": "check"},
                                    ],
                                ),
                                _step(
                                    "mixer",
                                    "record",
                                    role="supervisor",
                                    inputs=[
                                        {
                                            "name": "speed",
                                            "label": "Speed",
                                            "type": "choice",
                                            "options": ["low", "high"],
                                        },
                                    ],
                                ),
                                _step(
                                    "note",
                                    "record",
                                    inputs=[
                                        {
                                            "name": "remark",
                                            "label": "Remark",
                                            "type": "text",
                                            "required": False,
                                        },
                                    ],
                                ),
                            ],
                        }
                    ],
                }
            ],
        }
    )


def long_recipe(steps: int, code: str = "TEST-LONG") -> Recipe:
    """A recipe of ``steps`` one-value record steps, for long-batch tests and benchmarks."""
    spec = [
        _step(
            f"s{i:05d}",
            "record",
            inputs=[
                {
                    "name": "v",
                    "label": "Value",
                    "type": "number",
                    "unit": "kg",
                    "min": 0,
                    "max": 10,
                },
            ],
        )
        for i in range(steps)
    ]
    return recipe_from_data(
        {
            "code": code,
            "version": 1,
            "name": f"{steps} steps",
            "product": {"code": "LONG-1", "name": "Long product"},
            "batch_size": {"value": "1", "unit": "kg"},
            "procedure": [
                {"id": "u", "name": "U", "operations": [{"id": "o", "name": "O", "steps": spec}]}
            ],
        }
    )


def example_recipe(filename: str) -> Recipe:
    return parse_recipe((EXAMPLES / filename).read_text(encoding="utf-8"))


def header_for(recipe: Recipe, batch_number: str, planned: str = "100") -> BatchHeader:
    return BatchHeader(
        batch_id=batch_number,
        batch_number=batch_number,
        recipe_code=recipe.code,
        recipe_version=recipe.version,
        recipe_hash=recipe.content_hash(),
        product_code=recipe.product.code,
        planned_quantity=Quantity(value=Decimal(planned), unit=recipe.batch_size.unit),
        created_by="sam",
        created_at=datetime(2026, 11, 26, 8, 0, tzinfo=UTC),
    )


def _step(
    step_id: str,
    kind: str,
    *,
    inputs: list[dict[str, Any]],
    verify: bool = False,
    role: str = "operator",
) -> dict[str, Any]:
    return {
        "id": step_id,
        "name": step_id.replace("-", " ").title(),
        "instructions": f"Do {step_id} as the SOP says.",
        "kind": kind,
        "role": role,
        "verify": verify,
        "inputs": inputs,
    }


def recipe_yaml(recipe: Recipe) -> str:
    return yaml.safe_dump(recipe.model_dump(mode="json"), sort_keys=False)
