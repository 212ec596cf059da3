"""The QA side of the batch pages: deviation and hold forms, the review-by-exception page with its
marks, release and rejection, and the report and record downloads for QA and auditors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api.context import ApiContext
from api.deps import ContextDep, station_of
from api.refusals import UnknownAction
from api.routes.reports import record_download, report_download
from api.web import quality
from api.web.rendering import WebRoute, page
from api.web.review_page import review_page
from api.web.routes.batches import batch_view
from api.web.session import WebUser, WebUserDep, require_csrf
from api.web.views import FormState
from ebr.domain.refusals import RoleNotAllowed
from ebr.domain.roles import Role

router = APIRouter(route_class=WebRoute, include_in_schema=False)

READERS = (Role.QA, Role.AUDITOR)


Act = Callable[[ApiContext, WebUser, str, FormData], Awaitable[FormState | None]]


def _review(
    request: Request, context: ApiContext, user: WebUser, batch_id: str, state: FormState | None
) -> HTMLResponse:
    shown = review_page(engine=context.reads, batch_id=batch_id)
    return page(
        request,
        "review.html",
        user=user,
        status_code=state.status if state else 200,
        title=f"Review of batch {shown.shown.batch.batch_number}",
        page=shown,
        state=state,
        done=quality.DONE.get(request.query_params.get("done", ""), ""),
    )


async def _form(
    request: Request,
    context: ApiContext,
    user: WebUser,
    batch_id: str,
    act: Act,
    *,
    done: str,
    anchor: str,
    on_review: bool = False,
) -> Response:
    """Check the form's CSRF token, do what it asks, and redirect to the page that shows it; or
    show that page again with the refusal."""
    form = await request.form()
    require_csrf(form, user)
    state = await act(context, user, batch_id, form)
    if state is None:
        where = "/review" if on_review else ""
        target = f"/batches/{quote(batch_id)}{where}?done={done}#{quote(anchor)}"
        return RedirectResponse(target, status_code=303)
    if on_review:
        return await run_in_threadpool(_review, request, context, user, batch_id, state)
    return await run_in_threadpool(batch_view, request, context, user, batch_id, state)


@router.post("/batches/{batch_id}/deviations", response_class=HTMLResponse)
async def open_deviation(
    batch_id: str, request: Request, context: ContextDep, user: WebUserDep
) -> Response:
    async def act(c: ApiContext, u: WebUser, b: str, f: FormData) -> FormState | None:
        return await quality.open_deviation(c, u, batch_id=b, form=f)

    return await _form(
        request, context, user, batch_id, act, done="deviation_opened", anchor="deviations"
    )


DEVIATION_ACTIONS = {
    "investigate": (quality.investigate, "investigated"),
    "classify": (quality.classify, "classified"),
    "disposition": (quality.disposition, "dispositioned"),
}


@router.post("/batches/{batch_id}/deviations/{deviation_id}/{action}", response_class=HTMLResponse)
async def deviation_action(
    batch_id: str,
    deviation_id: str,
    action: str,
    request: Request,
    context: ContextDep,
    user: WebUserDep,
) -> Response:
    """Investigate (supervisor), classify (QA) or disposition (QA, signed) one deviation."""
    known = DEVIATION_ACTIONS.get(action)
    if known is None:
        raise UnknownAction(f"there is no deviation action {action!r}")
    command, done = known

    async def act(c: ApiContext, u: WebUser, b: str, f: FormData) -> FormState | None:
        return await command(c, u, batch_id=b, deviation_id=deviation_id, form=f)

    return await _form(
        request, context, user, batch_id, act, done=done, anchor=f"dev-{deviation_id}"
    )


@router.post("/batches/{batch_id}/hold", response_class=HTMLResponse)
async def place_hold(
    batch_id: str, request: Request, context: ContextDep, user: WebUserDep
) -> Response:
    async def act(c: ApiContext, u: WebUser, b: str, f: FormData) -> FormState | None:
        return await quality.place_hold(c, u, batch_id=b, form=f)

    return await _form(request, context, user, batch_id, act, done="hold_placed", anchor="holds")


@router.post("/batches/{batch_id}/hold/lift", response_class=HTMLResponse)
async def lift_hold(
    batch_id: str, request: Request, context: ContextDep, user: WebUserDep
) -> Response:
    async def act(c: ApiContext, u: WebUser, b: str, f: FormData) -> FormState | None:
        return await quality.lift_hold(c, u, batch_id=b, form=f)

    return await _form(request, context, user, batch_id, act, done="hold_lifted", anchor="holds")


@router.get("/batches/{batch_id}/review", response_class=HTMLResponse)
def review(batch_id: str, request: Request, context: ContextDep, user: WebUserDep) -> HTMLResponse:
    return _review(request, context, user, batch_id, None)


REVIEW_ACTIONS = {
    "mark": (quality.mark_reviewed, "marked", "exceptions"),
    "release": (quality.release, "released", "decision"),
    "reject": (quality.reject, "rejected", "decision"),
}


@router.post("/batches/{batch_id}/review/{action}", response_class=HTMLResponse)
async def review_action(
    batch_id: str, action: str, request: Request, context: ContextDep, user: WebUserDep
) -> Response:
    """Mark an exception reviewed, release (signed) or reject (signed) the batch."""
    known = REVIEW_ACTIONS.get(action)
    if known is None:
        raise UnknownAction(f"there is no review action {action!r}")
    command, done, anchor = known

    async def act(c: ApiContext, u: WebUser, b: str, f: FormData) -> FormState | None:
        return await command(c, u, batch_id=b, form=f)

    return await _form(
        request, context, user, batch_id, act, done=done, anchor=anchor, on_review=True
    )


def _reader(user: WebUser) -> None:
    if not user.has(*READERS):
        raise RoleNotAllowed("this needs one of the roles: qa, auditor")


@router.get("/batches/{batch_id}/report.pdf")
async def report_pdf(
    batch_id: str, request: Request, context: ContextDep, user: WebUserDep, draft: bool = False
) -> Response:
    """The same report as ``GET /api/batches/{id}/report.pdf``, to the page's session; audited."""
    _reader(user)
    return await report_download(
        context, batch_id=batch_id, user_id=user.user_id, station=station_of(request), draft=draft
    )


@router.get("/batches/{batch_id}/record.json")
async def record_json(
    batch_id: str, request: Request, context: ContextDep, user: WebUserDep
) -> Response:
    """The same record as ``GET /api/batches/{id}/record.json``, to the page's session; audited."""
    _reader(user)
    return await record_download(
        context, batch_id=batch_id, user_id=user.user_id, station=station_of(request)
    )
