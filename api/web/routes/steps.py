"""The signed step forms of a batch's page: complete, verify, correct."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse

from api.deps import ContextDep
from api.refusals import UnknownAction
from api.web import steps
from api.web.pages import FormPostDep
from api.web.rendering import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.post("/batches/{batch_id}/steps/{step_id}/{action}", response_class=HTMLResponse)
async def step_action(
    post: FormPostDep, step_id: str, action: str, context: ContextDep
) -> Response:
    """A signed step action (complete, verify, correct): recorded and shown, or refused in words."""
    if action not in steps.STEP_FORMS:
        raise UnknownAction(f"there is no step action {action!r}")
    user, batch_id = post.user, post.batch_id
    act = partial(
        steps.sign, context=context, user=user, batch_id=batch_id, step_id=step_id, action=action
    )
    return await post.answer(act, recorded=step_id, anchor=f"step-{step_id}")
