"""The step forms: a step signed performed, verified or corrected, as the JSON step routes do it.

Each is an electronic signature made by ``api.steps.sign`` (and so checked by the workflow): None
when it was recorded, or the refused form, with what was entered (never the password) and the
refusal in words, for the page to show again.
"""

from __future__ import annotations

from functools import partial

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api import steps
from api.batch_views import batch_detail
from api.context import ApiContext
from api.schemas import StepCompletion, StepCorrection, StepVerification, StepView
from api.web.forms import step_values, submit, text
from api.web.session import WebUser
from api.web.signed_forms import USER_FIELD
from api.web.views import FormState
from ebr.domain.refusals import UnknownStep
from ebr.store.db import session_scope

__all__ = ["STEP_FORMS", "sign"]

# Each step form by its action, and the request it is: the JSON step route's.
STEP_FORMS: dict[str, type[steps.StepBody]] = {
    "complete": StepCompletion,
    "verify": StepVerification,
    "correct": StepCorrection,
}


async def sign(
    form: FormData, context: ApiContext, user: WebUser, batch_id: str, step_id: str, action: str
) -> FormState | None:
    """Sign the step as ``action`` (one of ``STEP_FORMS``) asks: complete it with its values,
    verify it, or correct its values with a reason. The values go as entered: the workflow
    converts and checks them."""
    step = await run_in_threadpool(_step, context.reads, batch_id, step_id)
    values, entered = step_values(step, form)
    shown = FormState(
        step_id=step_id,
        action=action,
        entered=entered,
        comment=text(form, "comment"),
        reason=text(form, "reason"),
        signer_id=text(form, USER_FIELD).strip(),
    )
    send = partial(steps.sign, context, user.actor, batch_id=batch_id, step_id=step_id)
    return await submit(
        STEP_FORMS[action], form, send, user=user, shown=shown, data={"values": values}
    )


def _step(engine: Engine, batch_id: str, step_id: str) -> StepView:
    """The step as stored (``batch_not_found``, ``unknown_step`` when there is none)."""
    with session_scope(engine) as session:
        batch = batch_detail(session=session, batch_id=batch_id)
    step = next((s for s in batch.steps if s.step_id == step_id), None)
    if step is None:
        raise UnknownStep(f"batch {batch_id} has no step {step_id}")
    return step
