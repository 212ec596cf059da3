"""The start form on the batch list: a batch started as ``POST /api/batches`` starts one."""

from __future__ import annotations

from starlette.datastructures import FormData

from api.commands import Commands
from api.schemas import BatchCreate
from api.web.forms import parse_form, refused, text
from api.web.pages import STARTING_ROLES
from api.web.session import WebUser
from api.web.views import FormState
from ebr.domain.refusals import Refusal, RoleNotAllowed

__all__ = ["start"]

# The start form's fields, and the fields of ``BatchCreate`` each one fills.
START_FIELDS = {
    "recipe_code": "recipe",
    "recipe_version": "recipe",
    "planned_quantity": "planned_value",
    "planned_quantity.value": "planned_value",
    "planned_quantity.unit": "planned_unit",
}
# What the form says of a field it refuses (the recipe's code and version are one choice).
START_WORDS = {
    "recipe": "choose a recipe version",
    "batch_number": "use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
    "planned_value": "enter the planned quantity as a number, such as 10 or 12.5",
    "planned_unit": "choose a unit of measure",
}


async def start(form: FormData, commands: Commands, user: WebUser) -> str | FormState:
    """Start a batch (supervisors and admins only); its id, or the refused form."""
    code, _, version = text(form, "recipe").partition("/")
    planned = {"value": text(form, "planned_value").strip(), "unit": text(form, "planned_unit")}
    try:
        if not user.has(*STARTING_ROLES):
            raise RoleNotAllowed("starting a batch needs one of the roles: supervisor, admin")
        body = parse_form(
            BatchCreate,
            form,
            data={"recipe_code": code, "recipe_version": version or 0, "planned_quantity": planned},
            names=START_FIELDS,
            words=START_WORDS,
        )
        return await commands.start_batch(
            recipe_code=body.recipe_code,
            recipe_version=body.recipe_version,
            batch_number=body.batch_number,
            planned=body.planned_quantity,
            actor=user.actor,
        )
    except Refusal as exc:
        entered = {name: text(form, name) for name in START_WORDS}
        return refused(exc, FormState(step_id="", action="start", entered=entered))
