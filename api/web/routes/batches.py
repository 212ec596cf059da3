"""The batch pages: the list with its start form, one batch, and the signed step forms."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from api.context import ApiContext
from api.deps import ContextDep
from api.refusals import UnknownAction
from api.schemas import StepView
from api.web import actions, quality
from api.web.recipe_views import recipe_choices, start_units
from api.web.rendering import WebRoute, page
from api.web.session import WebUser, WebUserDep, require_csrf
from api.web.views import BatchPage, FormState, batch_list, batch_page
from ebr.domain.batch import BatchStatus
from ebr.domain.refusals import UnknownStep

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def _list(
    request: Request, context: ApiContext, user: WebUser, *, status: str, state: FormState | None
) -> HTMLResponse:
    chosen = BatchStatus(status) if status in set(BatchStatus) else None
    choices = recipe_choices(engine=context.reads) if user.has(*actions.STARTING_ROLES) else []
    return page(
        request,
        "batches.html",
        user=user,
        status_code=state.status if state else 200,
        title="Batches",
        batches=batch_list(engine=context.reads, status=chosen),
        statuses=list(BatchStatus),
        chosen=chosen,
        recipes=choices,
        units=start_units(choices),
        state=state,
    )


def _batch(
    request: Request, user: WebUser, shown: BatchPage, state: FormState | None = None
) -> HTMLResponse:
    return page(
        request,
        "batch.html",
        user=user,
        status_code=state.status if state else 200,
        title=f"Batch {shown.batch.batch_number}",
        shown=shown,
        state=state,
        recorded=request.query_params.get("recorded", ""),
        done=quality.DONE.get(request.query_params.get("done", ""), ""),
    )


def batch_view(
    request: Request, context: ApiContext, user: WebUser, batch_id: str, state: FormState | None
) -> HTMLResponse:
    """The batch page as stored now, with a refused form shown again (for the QA side's forms)."""
    return _batch(request, user, batch_page(engine=context.reads, batch_id=batch_id), state)


async def _read(context: ApiContext, batch_id: str) -> BatchPage:
    """The batch as stored, read on a worker thread so the event loop never waits on the store."""
    return await run_in_threadpool(batch_page, engine=context.reads, batch_id=batch_id)


def _step(shown: BatchPage, step_id: str) -> StepView:
    step = next((s for s in shown.batch.steps if s.step_id == step_id), None)
    if step is None:
        raise UnknownStep(f"batch {shown.batch.batch_id} has no step {step_id}")
    return step


def _recorded(batch_id: str, step_id: str) -> RedirectResponse:
    target = f"/batches/{quote(batch_id)}?recorded={quote(step_id)}#step-{quote(step_id)}"
    return RedirectResponse(target, status_code=303)


@router.get("/", response_class=HTMLResponse)
def batches(
    request: Request, context: ContextDep, user: WebUserDep, status: str = ""
) -> HTMLResponse:
    return _list(request, context, user, status=status, state=None)


@router.post("/batches", response_class=HTMLResponse)
async def start(request: Request, context: ContextDep, user: WebUserDep) -> Response:
    form = await request.form()
    require_csrf(form, user)
    started = await actions.start(context, user, form)
    if isinstance(started, FormState):
        return await run_in_threadpool(_list, request, context, user, status="", state=started)
    return RedirectResponse(f"/batches/{quote(started)}", status_code=303)


@router.get("/batches/{batch_id}", response_class=HTMLResponse)
def batch(batch_id: str, request: Request, context: ContextDep, user: WebUserDep) -> HTMLResponse:
    return _batch(request, user, batch_page(engine=context.reads, batch_id=batch_id))


STEP_ACTIONS = {"complete": actions.complete, "verify": actions.verify, "correct": actions.correct}


@router.post("/batches/{batch_id}/steps/{step_id}/{action}", response_class=HTMLResponse)
async def step_action(
    batch_id: str,
    step_id: str,
    action: str,
    request: Request,
    context: ContextDep,
    user: WebUserDep,
) -> Response:
    """A signed step action (complete, verify, correct): recorded and shown, or refused in words."""
    act = STEP_ACTIONS.get(action)
    if act is None:
        raise UnknownAction(f"there is no step action {action!r}")
    form = await request.form()
    require_csrf(form, user)
    step = _step(await _read(context, batch_id), step_id)
    state = await act(context, user, batch_id=batch_id, step=step, form=form)
    if state is None:
        return _recorded(batch_id, step_id)
    return _batch(request, user, await _read(context, batch_id), state)
