"""What the QA side's forms do: deviations opened, investigated, classified and dispositioned;
holds placed and lifted; exceptions marked reviewed; the batch released or rejected.

Each goes through the command the JSON API's route calls (``api.batch_commands``,
``api.deviation_commands``, ``api.signing.sign_decision``), so the workflows decide who may do
what. Each returns None when it was recorded, or the refused form, with what was entered (never
the password) and the refusal in words, for the page to show again.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from starlette.datastructures import FormData

from api import batch_commands, deviation_commands
from api.context import ApiContext
from api.deviation_views import stored_deviation
from api.web.forms import refused, text
from api.web.session import WebUser
from api.web.signed_forms import decide, signing_of
from api.web.views import FormState
from ebr.domain.deviations import Classification, Decision
from ebr.domain.records import Meaning
from ebr.domain.refusals import Refusal
from ebr.domain.signed import BATCH_SUBJECT, deviation_subject, hold_subject
from workflows.messages import (
    ClassifyInput,
    InvestigateInput,
    MarkReviewedInput,
    OpenDeviationInput,
    PlaceHoldInput,
)

TEXT_LIMIT = 4000
CAPA_LIMIT = 200

# What the page says once a form was recorded (chosen by a fixed key, never echoed from the URL).
DONE = {
    "deviation_opened": "Deviation opened.",
    "investigated": "Investigation recorded.",
    "classified": "Classification recorded.",
    "dispositioned": "Disposition signed and recorded.",
    "hold_placed": "The batch is on hold.",
    "hold_lifted": "Hold lifted: signed and recorded.",
    "marked": "Exception marked reviewed.",
    "released": "Batch released: signed and recorded.",
    "rejected": "Batch rejected: signed and recorded.",
}


def _state(
    action: str,
    target: str,
    code: str,
    message: str,
    status: int,
    field: str,
    form: FormData,
    names: tuple[str, ...],
) -> FormState:
    return FormState(
        step_id="",
        action=action,
        target=target,
        code=code,
        message=message,
        status=status,
        field_errors={field: ""},
        entered=_entered(form, names),
    )


def _entered(form: FormData, names: tuple[str, ...]) -> dict[str, str]:
    return {name: text(form, name) for name in names}


def _checked(
    form: FormData,
    action: str,
    target: str,
    names: tuple[str, ...],
    required: tuple[str, ...] = (),
    limits: dict[str, int] | None = None,
) -> FormState | None:
    """Refuse, before anything is sent (or a password tried), a text too long for the record or
    a required one left blank: the same bounds the JSON API's request models set."""
    for name in names:
        limit = (limits or {}).get(name, TEXT_LIMIT)
        value = text(form, name)
        if len(value) > limit:
            message = (
                f"the {name.replace('_', ' ')} is {len(value)} characters long; at most {limit} fit"
            )
            return _state(action, target, "invalid_request", message, 422, name, form, names)
        if name in required and not value.strip():
            message = f"the {name.replace('_', ' ')} is required: nothing was recorded"
            return _state(action, target, "reason_required", message, 422, name, form, names)
    return None


async def _sent(
    call: Awaitable[Any], *, action: str, target: str, form: FormData, names: tuple[str, ...]
) -> FormState | None:
    try:
        await call
    except Refusal as exc:
        state = refused(exc, step_id="", action=action)
        state.target, state.entered = target, _entered(form, names)
        return state
    return None


def _optional(value: str) -> str | None:
    return value.strip() or None


def _steps(form: FormData, name: str) -> tuple[str, ...]:
    return tuple(v for v in form.getlist(name) if isinstance(v, str) and v)


OPEN_FIELDS = ("description", "step_id")


async def open_deviation(
    context: ApiContext, user: WebUser, *, batch_id: str, form: FormData
) -> FormState | None:
    """Anyone opens a deviation by hand, describing it, and naming a step if it concerns one."""
    state = _checked(form, "open_deviation", "new", OPEN_FIELDS, required=("description",))
    if state is not None:
        return state
    request = OpenDeviationInput(
        actor=user.actor,
        description=text(form, "description").strip(),
        step_id=_optional(text(form, "step_id")),
    )
    call = batch_commands.open_deviation(
        client=context.temporal, engine=context.reads, batch_id=batch_id, request=request
    )
    return await _sent(call, action="open_deviation", target="new", form=form, names=OPEN_FIELDS)


INVESTIGATE_FIELDS = ("root_cause", "impact")


async def investigate(
    context: ApiContext, user: WebUser, *, batch_id: str, deviation_id: str, form: FormData
) -> FormState | None:
    """A supervisor's investigation: root cause, impact, and the steps affected."""
    state = _checked(form, "investigate", deviation_id, INVESTIGATE_FIELDS)
    if state is not None:
        return state
    request = InvestigateInput(
        actor=user.actor,
        root_cause=text(form, "root_cause").strip(),
        impact=text(form, "impact").strip(),
        affected_steps=_steps(form, "affected_steps"),
    )
    call = deviation_commands.investigate(
        client=context.temporal,
        engine=context.reads,
        batch_id=batch_id,
        deviation_id=deviation_id,
        request=request,
    )
    return await _sent(
        call, action="investigate", target=deviation_id, form=form, names=INVESTIGATE_FIELDS
    )


CLASSIFY_FIELDS = ("classification", "comment")


async def classify(
    context: ApiContext, user: WebUser, *, batch_id: str, deviation_id: str, form: FormData
) -> FormState | None:
    """QA's classification of an investigated deviation: minor, major or critical."""
    state = _checked(form, "classify", deviation_id, CLASSIFY_FIELDS)
    chosen = text(form, "classification")
    if state is None and chosen not in set(Classification):
        message = "choose the classification: minor, major or critical"
        field, names = "classification", CLASSIFY_FIELDS
        state = _state(
            "classify", deviation_id, "invalid_request", message, 422, field, form, names
        )
    if state is not None:
        return state
    request = ClassifyInput(
        actor=user.actor,
        classification=Classification(chosen),
        comment=_optional(text(form, "comment")),
    )
    call = deviation_commands.classify(
        client=context.temporal,
        engine=context.reads,
        batch_id=batch_id,
        deviation_id=deviation_id,
        request=request,
    )
    return await _sent(
        call, action="classify", target=deviation_id, form=form, names=CLASSIFY_FIELDS
    )


DISPOSITION_FIELDS = ("decision", "reason", "capa_ref", "comment")


async def disposition(
    context: ApiContext, user: WebUser, *, batch_id: str, deviation_id: str, form: FormData
) -> FormState | None:
    """QA's signed disposition (meaning approved): accept, rework the chosen steps, or reject."""
    action, names = "disposition", DISPOSITION_FIELDS
    state = _checked(
        form, action, deviation_id, names, required=("reason",), limits={"capa_ref": CAPA_LIMIT}
    )
    chosen = text(form, "decision")
    if state is None and chosen not in set(Decision):
        message = "choose the disposition: accept, rework or reject"
        state = _state(
            action, deviation_id, "invalid_request", message, 422, "decision", form, names
        )
    if state is not None:
        return state
    try:
        stored_deviation(engine=context.reads, batch_id=batch_id, deviation_id=deviation_id)
    except Refusal as exc:
        state = refused(exc, step_id="", action=action)
        state.target = deviation_id
        return state
    state = await decide(
        context,
        user,
        batch_id=batch_id,
        subject=deviation_subject(deviation_id),
        action=action,
        target=deviation_id,
        meaning=Meaning.APPROVED,
        signing=signing_of(form),
        comment=_optional(text(form, "comment")),
        reason=text(form, "reason").strip(),
        detail={
            "decision": chosen,
            "rework_steps": list(_steps(form, "rework_steps")),
            "capa_ref": _optional(text(form, "capa_ref")),
        },
    )
    if state is not None:
        state.entered = _entered(form, names)
    return state


async def place_hold(
    context: ApiContext, user: WebUser, *, batch_id: str, form: FormData
) -> FormState | None:
    """A supervisor or QA puts the batch on hold, with the reason."""
    names = ("reason",)
    state = _checked(form, "hold", "new", names, required=names)
    if state is not None:
        return state
    call = batch_commands.place_hold(
        client=context.temporal,
        engine=context.reads,
        batch_id=batch_id,
        request=PlaceHoldInput(actor=user.actor, reason=text(form, "reason").strip()),
    )
    return await _sent(call, action="hold", target="new", form=form, names=names)


async def lift_hold(
    context: ApiContext, user: WebUser, *, batch_id: str, form: FormData
) -> FormState | None:
    """QA lifts a person's hold: a signed decision (meaning approved) with the reason."""
    names, hold_id = ("reason",), text(form, "hold_id")
    state = _checked(form, "lift", hold_id, names, required=names)
    if state is None:
        state = await decide(
            context,
            user,
            batch_id=batch_id,
            subject=hold_subject(hold_id),
            action="lift",
            target=hold_id,
            meaning=Meaning.APPROVED,
            signing=signing_of(form),
            reason=text(form, "reason").strip(),
        )
    if state is not None:
        state.entered = _entered(form, names)
    return state


async def mark_reviewed(
    context: ApiContext, user: WebUser, *, batch_id: str, form: FormData
) -> FormState | None:
    """QA marks one exception reviewed, with an optional comment."""
    names, exception_id = ("comment",), text(form, "exception_id")
    state = _checked(form, "mark", exception_id, names)
    if state is not None:
        return state
    request = MarkReviewedInput(
        actor=user.actor, exception_id=exception_id, comment=_optional(text(form, "comment"))
    )
    call = batch_commands.mark_reviewed(
        client=context.temporal, engine=context.reads, batch_id=batch_id, request=request
    )
    return await _sent(call, action="mark", target=exception_id, form=form, names=names)


async def release(
    context: ApiContext, user: WebUser, *, batch_id: str, form: FormData
) -> FormState | None:
    """QA's signed release (meaning released)."""
    names = ("comment",)
    state = _checked(form, "release", "batch", names) or await decide(
        context,
        user,
        batch_id=batch_id,
        subject=BATCH_SUBJECT,
        action="release",
        target="batch",
        meaning=Meaning.RELEASED,
        signing=signing_of(form),
        comment=_optional(text(form, "comment")),
    )
    if state is not None:
        state.entered = _entered(form, names)
    return state


async def reject(
    context: ApiContext, user: WebUser, *, batch_id: str, form: FormData
) -> FormState | None:
    """QA's signed rejection (meaning rejected), with the reason."""
    names = ("reason", "comment")
    state = _checked(form, "reject", "batch", names, required=("reason",)) or await decide(
        context,
        user,
        batch_id=batch_id,
        subject=BATCH_SUBJECT,
        action="reject",
        target="batch",
        meaning=Meaning.REJECTED,
        signing=signing_of(form),
        comment=_optional(text(form, "comment")),
        reason=text(form, "reason").strip(),
    )
    if state is not None:
        state.entered = _entered(form, names)
    return state
