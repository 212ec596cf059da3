"""Small, valid recipe data and people for the domain tests; each test changes a fresh copy."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from ebr.domain.batch import Actor, BatchHeader, BatchState, quantity
from ebr.domain.meanings import Meaning
from ebr.domain.recipe import Recipe
from ebr.domain.recipe_loading import parse_recipe
from ebr.domain.roles import Role
from ebr.domain.signed_records import SignedRecord, step_record_id
from ebr.domain.subjects import batch_chain, step_subject
from ebr.domain.values import RecordedValue

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "recipes"

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

OPERATOR = Actor(
    user_id="olga", full_name="Olga Operator", roles=(Role.OPERATOR,), station="disp-1"
)
OPERATOR_2 = Actor(
    user_id="omar", full_name="Omar Operator", roles=(Role.OPERATOR,), station="disp-1"
)
SUPERVISOR = Actor(user_id="sam", full_name="Sam Supervisor", roles=(Role.SUPERVISOR,))
SUPERVISOR_2 = Actor(user_id="sue", full_name="Sue Supervisor", roles=(Role.SUPERVISOR,))
QA = Actor(user_id="quinn", full_name="Quinn QA", roles=(Role.QA,), station="qa-office")
AUDITOR = Actor(user_id="aldo", full_name="Aldo Auditor", roles=(Role.AUDITOR,))


def step(
    step_id: str,
    kind: str,
    inputs: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": step_id,
        "name": step_id.replace("-", " ").capitalize(),
        "instructions": f"Perform {step_id} as written in the SOP.",
        "kind": kind,
    }
    if inputs is not None:
        data["inputs"] = inputs
    data.update(extra)
    return data


def mini_recipe_data() -> dict[str, Any]:
    """Two operations of one unit procedure, six steps covering every kind, role and input type."""
    return {
        "code": "MINI-1",
        "version": 1,
        "name": "Mini blend",
        "product": {"code": "MINI", "name": "Mini blend powder"},
        "batch_size": {"value": "10", "unit": "kg"},
        "procedure": [
            {
                "id": "making",
                "name": "Making",
                "operations": [
                    {
                        "id": "dispense",
                        "name": "Dispense",
                        "steps": [
                            step(
                                "line-clearance",
                                "check",
                                [{"name": "area-clear", "label": "Area clear", "type": "check"}],
                                verify=True,
                            ),
                            step(
                                "weigh-api",
                                "record",
                                [
                                    {"name": "lot", "label": "API lot", "type": "text"},
                                    {
                                        "name": "mass",
                                        "label": "Net mass",
                                        "type": "number",
                                        "unit": "kg",
                                        "min": "9.95",
                                        "max": "10.05",
                                        "critical": True,
                                    },
                                ],
                                verify=True,
                            ),
                        ],
                    },
                    {
                        "id": "blend",
                        "name": "Blend",
                        "steps": [
                            step("close-lid", "instruction"),
                            step(
                                "mix",
                                "record",
                                [
                                    {
                                        "name": "speed",
                                        "label": "Mixer speed",
                                        "type": "choice",
                                        "options": ["low", "high"],
                                    },
                                    {
                                        "name": "time",
                                        "label": "Mixing time",
                                        "type": "number",
                                        "unit": "min",
                                        "min": "9",
                                        "max": "11",
                                    },
                                ],
                            ),
                            step(
                                "supervisor-check",
                                "check",
                                [{"name": "ok", "label": "Blend looks uniform", "type": "check"}],
                                role="supervisor",
                                verify=True,
                            ),
                            step(
                                "qa-release",
                                "check",
                                [{"name": "released", "label": "Blend released", "type": "check"}],
                                role="qa",
                            ),
                        ],
                    },
                ],
            }
        ],
    }


def as_yaml(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def mini_recipe() -> Recipe:
    return parse_recipe(as_yaml(mini_recipe_data()))


def example(filename: str) -> Recipe:
    return parse_recipe((EXAMPLES / filename).read_text(encoding="utf-8"))


def start_batch(recipe: Recipe, batch_id: str = "B-0001") -> BatchState:
    header = BatchHeader(
        batch_id=batch_id,
        batch_number=batch_id,
        recipe_code=recipe.code,
        recipe_version=recipe.version,
        recipe_hash=recipe.content_hash(),
        product_code=recipe.product.code,
        planned_quantity=quantity(recipe.batch_size.value, recipe.batch_size.unit),
        created_by=SUPERVISOR.user_id,
        created_at=T0,
    )
    return BatchState.start(header, recipe)


def step_record(
    batch_id: str,
    step_id: str,
    meaning: Meaning,
    at: datetime,
    *,
    seq: int = 1,
    execution: int = 1,
    values: tuple[RecordedValue, ...] = (),
    comment: str | None = None,
    user: str = "olga",
    user_name: str | None = None,
) -> SignedRecord:
    """A step record as the store would give it back (ids as ``RecordPayload.record_id`` makes)."""
    record_id = step_record_id(batch_id, step_id, execution, meaning)
    if meaning is Meaning.CORRECTED:
        record_id = f"{record_id}/{seq}"
    return SignedRecord(
        record_id=record_id,
        chain=batch_chain(batch_id),
        seq=seq,
        subject=step_subject(step_id),
        execution=execution,
        meaning=meaning,
        values=values,
        comment=comment,
        user_id=user,
        user_name=user_name or user.title(),
        station="disp-1",
        recorded_at=at,
    )
