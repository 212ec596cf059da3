"""Reading the pages' forms into what the commands take, and their refusals into words."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from api.errors import status_of
from api.schemas import BatchCreate, StepView
from api.web.views import FormState
from ebr.domain.refusals import Refusal

FIELD_PREFIX = "v-"

START_FIELDS = {
    "recipe_code": "recipe",
    "recipe_version": "recipe",
    "batch_number": "batch_number",
    "planned_quantity": "planned_value",
    "planned_quantity.value": "planned_value",
    "planned_quantity.unit": "planned_unit",
}
START_REASONS = {
    "recipe": "choose a recipe version",
    "batch_number": "use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
    "planned_value": "enter the planned quantity as a number, such as 10 or 12.5",
    "planned_unit": "choose a unit of measure",
}


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def step_values(step: StepView, form: FormData) -> tuple[dict[str, Any], dict[str, str]]:
    """The values a step's form carries, typed for the workflow, and the raw text to show again.

    Numbers go as entered (the workflow converts, checks and flags them); a check answers "yes" or
    "no"; an empty field is left out, so the workflow names it if it is required.
    """
    values: dict[str, Any] = {}
    entered: dict[str, str] = {}
    for spec in step.inputs:
        name = str(spec["name"])
        raw = text(form, FIELD_PREFIX + name)
        entered[name] = raw
        if spec["type"] == "number":
            raw = raw.strip()
        if raw == "":
            continue
        if spec["type"] == "check":
            values[name] = {"yes": True, "no": False}.get(raw, raw)
        else:
            values[name] = raw
    return values, entered


def refused(exc: Refusal, *, step_id: str, action: str) -> FormState:
    """A refusal from the workflow, the API layer or the account controls as a form state.

    Value problems (a list of ``{"field", "reason"}``) are named at each field and summed up in the
    message; a refusal about one field (``{"field": ...}``) marks that field, its words in the message.
    """
    status, code = status_of(exc), exc.code
    field_errors: dict[str, str] = {}
    if isinstance(exc.details, list):
        for problem in exc.details:
            if isinstance(problem, dict) and "field" in problem and "reason" in problem:
                field_errors[str(problem["field"])] = str(problem["reason"])
    reasons = "; ".join(field_errors.values())
    if isinstance(exc.details, dict) and isinstance(exc.details.get("field"), str):
        field_errors[exc.details["field"]] = ""
    return FormState(
        step_id=step_id,
        action=action,
        code=code,
        message=f"{exc.message}: {reasons}" if reasons else exc.message,
        status=status,
        field_errors=field_errors,
    )


def start_request(form: FormData) -> BatchCreate | FormState:
    """The start-batch form as a validated ``BatchCreate``, or a 422 form state naming each field."""
    code, _, version = text(form, "recipe").partition("/")
    try:
        return BatchCreate.model_validate(
            {
                "recipe_code": code,
                "recipe_version": version or 0,
                "batch_number": text(form, "batch_number").strip(),
                "planned_quantity": {
                    "value": text(form, "planned_value").strip(),
                    "unit": text(form, "planned_unit"),
                },
            }
        )
    except ValidationError as exc:
        fields = {
            START_FIELDS.get(".".join(str(p) for p in error["loc"]), "recipe")
            for error in exc.errors()
        }
        problems = {name: START_REASONS[name] for name in sorted(fields)}
        return FormState(
            step_id="",
            action="start",
            code="invalid_request",
            message="the batch was not started: " + "; ".join(problems.values()),
            status=422,
            field_errors=problems,
        )


def start_entered(form: FormData) -> dict[str, str]:
    names = ("recipe", "batch_number", "planned_value", "planned_unit")
    return {name: text(form, name) for name in names}
