"""What the batch forms do: start a batch, and sign a step performed, verified or corrected.

Each step action is an electronic signature made by ``api.signing.sign_step`` (and so checked by
the workflow). Each function returns None when the action was recorded, or the refused form, with
what was entered (never the password) and the refusal in words, for the page to show again.
"""

from __future__ import annotations

from starlette.datastructures import FormData

from api import batch_commands
from api.context import ApiContext
from api.schemas import BatchCreate, StepView
from api.web.forms import refused, start_entered, start_request, step_values, text
from api.web.session import WebUser
from api.web.signed_forms import sign, signing_of
from api.web.views import FormState
from ebr.domain.records import Meaning
from ebr.domain.refusals import Refusal
from ebr.domain.roles import Role

TEXT_LIMIT = 4000
STARTING_ROLES = (Role.SUPERVISOR, Role.ADMIN)


def _too_long(step_id: str, action: str, name: str, value: str) -> FormState | None:
    if len(value) <= TEXT_LIMIT:
        return None
    return FormState(
        step_id=step_id,
        action=action,
        code="invalid_request",
        message=f"the {name} is {len(value)} characters long; at most {TEXT_LIMIT} fit",
        status=422,
        field_errors={name: f"at most {TEXT_LIMIT} characters"},
    )


async def complete(
    context: ApiContext, user: WebUser, *, batch_id: str, step: StepView, form: FormData
) -> FormState | None:
    """Sign the step as performed, with its values."""
    values, entered = step_values(step, form)
    comment, signing = text(form, "comment"), signing_of(form)
    state = _too_long(step.step_id, "complete", "comment", comment) or await sign(
        context,
        user,
        batch_id=batch_id,
        step_id=step.step_id,
        action="complete",
        meaning=Meaning.PERFORMED,
        signing=signing,
        values=values,
        comment=comment.strip() or None,
    )
    if state is not None:
        state.entered, state.comment, state.signer_id = entered, comment, signing.user_id
    return state


async def verify(
    context: ApiContext, user: WebUser, *, batch_id: str, step: StepView, form: FormData
) -> FormState | None:
    """Sign the step as verified by a second person."""
    comment, signing = text(form, "comment"), signing_of(form)
    state = _too_long(step.step_id, "verify", "comment", comment) or await sign(
        context,
        user,
        batch_id=batch_id,
        step_id=step.step_id,
        action="verify",
        meaning=Meaning.VERIFIED,
        signing=signing,
        comment=comment.strip() or None,
    )
    if state is not None:
        state.comment, state.signer_id = comment, signing.user_id
    return state


async def correct(
    context: ApiContext, user: WebUser, *, batch_id: str, step: StepView, form: FormData
) -> FormState | None:
    """Sign new values for a recorded step, with the reason; the original record stays."""
    values, entered = step_values(step, form)
    reason, comment, signing = text(form, "reason"), text(form, "comment"), signing_of(form)
    state = _too_long(step.step_id, "correct", "reason", reason) or _too_long(
        step.step_id, "correct", "comment", comment
    )
    if state is None and not reason.strip():
        state = FormState(
            step_id=step.step_id,
            action="correct",
            code="reason_required",
            message="a correction needs a reason: say why the recorded values were wrong",
            status=422,
            field_errors={"reason": "give the reason for the correction"},
        )
    state = state or await sign(
        context,
        user,
        batch_id=batch_id,
        step_id=step.step_id,
        action="correct",
        meaning=Meaning.CORRECTED,
        signing=signing,
        values=values,
        comment=comment.strip() or None,
        reason=reason.strip(),
    )
    if state is not None:
        state.entered, state.comment, state.reason = entered, comment, reason
        state.signer_id = signing.user_id
    return state


async def start(context: ApiContext, user: WebUser, form: FormData) -> str | FormState:
    """Start a batch (supervisors and admins only); its id, or the refused form."""
    request: BatchCreate | FormState
    if not user.has(*STARTING_ROLES):
        request = FormState(
            step_id="",
            action="start",
            code="role_not_allowed",
            message="starting a batch needs one of the roles: supervisor, admin",
            status=403,
        )
    else:
        request = start_request(form)
    if isinstance(request, BatchCreate):
        try:
            return await batch_commands.start_batch(
                client=context.temporal,
                engine=context.reads,
                task_queue=context.settings.task_queue,
                recipe_code=request.recipe_code,
                recipe_version=request.recipe_version,
                batch_number=request.batch_number,
                planned=request.planned_quantity,
                actor=user.actor,
            )
        except Refusal as exc:
            request = refused(exc, step_id="", action="start")
    request.entered = start_entered(form)
    return request
