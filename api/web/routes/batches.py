"""The batch pages: the list with its start form, and one batch."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from api.deps import CommandsDep, ContextDep
from api.web import batches
from api.web.pages import batch_view, list_view
from api.web.rendering import WebRoute
from api.web.session import WebUserDep, require_csrf
from api.web.views import FormState

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def batch_list(
    request: Request, context: ContextDep, user: WebUserDep, status: str = ""
) -> HTMLResponse:
    return list_view(request, context.reads, user, status=status, state=None)


@router.post("/batches", response_class=HTMLResponse)
async def start(request: Request, commands: CommandsDep, user: WebUserDep) -> Response:
    form = await request.form()
    require_csrf(form, user)
    started = await batches.start(form, commands, user)
    if isinstance(started, FormState):
        engine = commands.engine
        return await run_in_threadpool(list_view, request, engine, user, status="", state=started)
    return RedirectResponse(f"/batches/{quote(started)}", status_code=303)


@router.get("/batches/{batch_id}", response_class=HTMLResponse)
def batch(batch_id: str, request: Request, context: ContextDep, user: WebUserDep) -> HTMLResponse:
    return batch_view(request, context.reads, user, batch_id, None)
