"""What the batch forms do: each goes through ``api.batch_commands`` (and so the workflow).

Each function returns None when the workflow recorded the action, or the refused form, with what
was entered and the workflow's own words, for the page to show again beside the form.
"""

from __future__ import annotations

from starlette.datastructures import FormData

from api import batch_commands
from api.context import ApiContext
from api.errors import ApiError
from api.schemas import BatchCreate, StepView
from api.web.forms import refused, start_entered, start_request, step_values, text
from api.web.session import WebUser
from api.web.views import FormState
from ebr.domain.errors import DomainError
from ebr.domain.roles import Role
from workflows.messages import CompleteStepInput, VerifyStepInput

COMMENT_LIMIT = 4000
STARTING_ROLES = (Role.SUPERVISOR, Role.ADMIN)


def _too_long(step_id: str, action: str, comment: str) -> FormState | None:
    if len(comment) <= COMMENT_LIMIT:
        return None
    return FormState(
        step_id=step_id,
        action=action,
        code="invalid_request",
        message=f"the comment is {len(comment)} characters long; at most {COMMENT_LIMIT} fit",
        status=422,
        field_errors={"comment": f"at most {COMMENT_LIMIT} characters"},
        comment=comment,
    )


async def complete(
    context: ApiContext, user: WebUser, *, batch_id: str, step: StepView, form: FormData
) -> FormState | None:
    values, entered = step_values(step, form)
    comment = text(form, "comment")
    state = _too_long(step.step_id, "complete", comment)
    if state is None:
        try:
            await batch_commands.complete_step(
                client=context.temporal,
                engine=context.reads,
                batch_id=batch_id,
                request=CompleteStepInput(
                    step_id=step.step_id,
                    actor=user.actor,
                    values=values,
                    comment=comment.strip() or None,
                ),
            )
            return None
        except (ApiError, DomainError) as exc:
            state = refused(exc, step_id=step.step_id, action="complete")
    state.entered, state.comment = entered, comment
    return state


async def verify(
    context: ApiContext, user: WebUser, *, batch_id: str, step: StepView, form: FormData
) -> FormState | None:
    comment = text(form, "comment")
    state = _too_long(step.step_id, "verify", comment)
    if state is None:
        try:
            await batch_commands.verify_step(
                client=context.temporal,
                engine=context.reads,
                batch_id=batch_id,
                request=VerifyStepInput(
                    step_id=step.step_id, actor=user.actor, comment=comment.strip() or None
                ),
            )
            return None
        except (ApiError, DomainError) as exc:
            state = refused(exc, step_id=step.step_id, action="verify")
    state.comment = comment
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
        except (ApiError, DomainError) as exc:
            request = refused(exc, step_id="", action="start")
    request.entered = start_entered(form)
    return request
