"""The review page and its forms' routes: mark an exception, release or reject (signed)."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from api.deps import CommandsDep, ContextDep
from api.refusals import UnknownAction
from api.web import review
from api.web.pages import FormPostDep, review_view
from api.web.rendering import WebRoute
from api.web.session import WebUserDep

router = APIRouter(route_class=WebRoute, include_in_schema=False)

# What the page says once each decision was recorded (``api.web.pages.DONE``).
DECISION_DONE = {"release": "released", "reject": "rejected"}


@router.get("/batches/{batch_id}/review", response_class=HTMLResponse)
def review_page(
    batch_id: str, request: Request, context: ContextDep, user: WebUserDep
) -> HTMLResponse:
    return review_view(request, context.reads, user, batch_id, None)


@router.post("/batches/{batch_id}/review/mark", response_class=HTMLResponse)
async def mark(post: FormPostDep, commands: CommandsDep) -> Response:
    """QA marks one exception reviewed."""
    act = partial(review.mark, commands=commands, user=post.user, batch_id=post.batch_id)
    return await post.answer(act, done="marked", anchor="exceptions", on_review=True)


@router.post("/batches/{batch_id}/review/{action}", response_class=HTMLResponse)
async def decision(post: FormPostDep, action: str, context: ContextDep) -> Response:
    """QA releases (signed) or rejects (signed) the batch."""
    if action not in DECISION_DONE:
        raise UnknownAction(f"there is no review action {action!r}")
    user, batch_id = post.user, post.batch_id
    act = partial(review.decision, context=context, user=user, batch_id=batch_id, action=action)
    return await post.answer(act, done=DECISION_DONE[action], anchor="decision", on_review=True)
