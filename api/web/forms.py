"""Reading the pages' forms into the JSON routes' request models; refusals into forms shown again.

One set of limits and words for a field, whichever way the request came.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from enum import Enum
from typing import Any, TypeVar, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from starlette.datastructures import FormData
from temporalio.workflow import UpdateMethodMultiParam

from api.commands import Commands
from api.errors import status_of
from api.refusals import InvalidRequest
from api.schemas import SignatureBody, StepView
from api.web.session import WebUser
from api.web.signed_forms import PASSWORD_FIELD, USER_FIELD, check_signer, signing_field
from api.web.views import FormState
from ebr.accounts.errors import AccountError
from ebr.domain.refusals import Refusal
from workflows.batch_workflow import BatchWorkflow

__all__ = [
    "FIELD_PREFIX",
    "InvalidForm",
    "parse_form",
    "refused",
    "shown_again",
    "step_values",
    "submit",
    "text",
    "update_sender",
]

M = TypeVar("M", bound=BaseModel)

FIELD_PREFIX = "v-"


class InvalidForm(InvalidRequest):
    """A form whose fields break its request model's bounds; the message words each field, and
    details list each as ``{"field": form field, "reason": what the JSON API says of it}``."""


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def parse_form(
    model: type[M],
    form: FormData,
    *,
    data: Mapping[str, Any] | None = None,
    names: Mapping[str, str] | None = None,
    words: Mapping[str, str] | None = None,
) -> M:
    """The form as ``model``, the request model of the JSON route that does the same; raises
    ``InvalidForm`` (before anything is sent or a password tried) naming each field in words.

    Each of the model's fields is read from the form field of its name: text stripped, a blank
    optional one left to its default, a list from every value given, and ``signature`` from the
    signing block's two fields with the meaning the model is signed with. ``data`` gives the
    fields a form carries in another shape (a step's values, the start form's recipe); ``names``
    maps a model field (``a.b``) to the form field it came from; ``words`` says what to tell of a
    form field instead of the model's own words.
    """
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name == "signature":
            values[name] = _signature(form, model)
        elif get_origin(info.annotation) is list:
            values[name] = [v for v in form.getlist(name) if isinstance(v, str) and v]
        elif (value := text(form, name).strip()) or info.is_required():
            values[name] = value
    values.update(data or {})
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise _invalid(model, exc, names or {}, words or {}) from None


def shown_again(model: type[BaseModel], form: FormData, *, action: str, target: str) -> FormState:
    """The form of ``action`` on ``target`` as entered, to show again if it is refused: each text
    field of ``model`` (never the password) and the user id typed in its signing block."""
    entered = {
        name: text(form, name)
        for name, info in model.model_fields.items()
        if name != "signature" and get_origin(info.annotation) is not list
    }
    signer = text(form, USER_FIELD).strip()
    return FormState(step_id="", action=action, target=target, entered=entered, signer_id=signer)


async def submit(
    model: type[M],
    form: FormData,
    send: Callable[[M], Awaitable[object]],
    *,
    user: WebUser,
    shown: FormState,
    data: Mapping[str, Any] | None = None,
) -> FormState | None:
    """Do what a page's form asks, as the JSON route does: the form parsed into the route's request
    model, a signer checked against the session, then ``send``; None when it was recorded, else
    ``shown`` with the refusal in words."""
    try:
        body = parse_form(model, form, data=data)
        signature = getattr(body, "signature", None)
        if isinstance(signature, SignatureBody):
            check_signer(signature, user)
        await send(body)
    except Refusal as exc:
        return refused(exc, shown)
    return None


def update_sender(
    commands: Commands,
    user: WebUser,
    batch_id: str,
    update: UpdateMethodMultiParam[[BatchWorkflow, Any], object],
    message: type[BaseModel],
    **more: str,
) -> Callable[[BaseModel], Awaitable[object]]:
    """What sends a form whose request becomes one update of the batch's workflow: the request's
    fields, ``more`` (fields the form names apart) and who asks, as the update's ``message``."""

    async def send(body: BaseModel) -> object:
        arg = message.model_validate({**body.model_dump(), **more, "actor": user.actor})
        return await commands.update(batch_id, update, arg)

    return send


def refused(exc: Refusal, shown: FormState) -> FormState:
    """``shown`` with a refusal from the workflow, the API layer, the account controls or the form.

    Value problems (a list of ``{"field", "reason"}``) are named at each field and summed up in the
    message (a form's own problems are worded in its message already); a refusal about one field
    (``{"field": ...}``) marks that field, its words in the message.
    """
    field_errors: dict[str, str] = {}
    if isinstance(exc.details, list):
        for problem in exc.details:
            if isinstance(problem, dict) and "field" in problem and "reason" in problem:
                field_errors[str(problem["field"])] = str(problem["reason"])
    reasons = "; ".join(field_errors.values())
    if isinstance(exc.details, dict) and isinstance(exc.details.get("field"), str):
        field = exc.details["field"]
        field_errors[signing_field(field) if isinstance(exc, AccountError) else field] = ""
    worded = isinstance(exc, InvalidForm) or not reasons
    return replace(
        shown,
        code=exc.code,
        message=exc.message if worded else f"{exc.message}: {reasons}",
        status=status_of(exc),
        field_errors=field_errors,
    )


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


def _signature(form: FormData, model: type[BaseModel]) -> dict[str, Any]:
    """The signing block's components as the model's ``signature``, signed as the model says."""
    return {
        "meaning": getattr(model, "meaning", None),
        "user_id": text(form, USER_FIELD).strip() or None,
        "password": text(form, PASSWORD_FIELD),
    }


def _invalid(
    model: type[BaseModel], exc: ValidationError, names: Mapping[str, str], words: Mapping[str, str]
) -> InvalidForm:
    problems: dict[str, str] = {}
    said: dict[str, str] = {}
    for error in exc.errors():
        field = _form_field(error["loc"], names)
        problems.setdefault(field, error["msg"])
        said.setdefault(field, words.get(field) or _words(model, error))
    signed = "signature" in model.model_fields
    message = "; ".join(dict.fromkeys(said.values()))
    return InvalidForm(
        f"{message}: nothing was {'signed' if signed else 'recorded'}",
        [{"field": f, "reason": words.get(f) or r} for f, r in problems.items()],
    )


def _form_field(loc: tuple[int | str, ...], names: Mapping[str, str]) -> str:
    if loc[0] == "signature" and len(loc) > 1:
        return signing_field(str(loc[1]))
    return names.get(".".join(str(p) for p in loc)) or names.get(str(loc[0])) or str(loc[0])


def _words(model: type[BaseModel], error: ErrorDetails) -> str:
    """A refused field in words, from what the model says of it."""
    name = str(error["loc"][-1] if error["loc"][0] == "signature" else error["loc"][0])
    label = name.replace("_", " ")
    info = model.model_fields.get(name)
    kind, ctx = error["type"], error.get("ctx", {})
    choices = info.annotation if info is not None else None
    if isinstance(choices, type) and issubclass(choices, Enum) and kind in ("enum", "missing"):
        options = [str(c.value) for c in choices]
        return f"choose the {label}: {', '.join(options[:-1])} or {options[-1]}"
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return f"the {label} is required"
    if kind == "string_too_long":
        length = len(error["input"]) if isinstance(error["input"], str) else 0
        return f"the {label} is {length} characters long; at most {ctx['max_length']} fit"
    return f"the {label}: {error['msg'][:1].lower()}{error['msg'][1:]}"
