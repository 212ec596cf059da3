"""The review page and its marks' route (release and rejection: ``api.web.routes.decisions``)."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from api.deps import CommandsDep, ContextDep
from api.web import review
from api.web.pages import FormPostDep, review_view
from api.web.rendering import WebRoute
from api.web.session import WebUserDep

router = APIRouter(route_class=WebRoute, include_in_schema=False)


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
