"""Changing one's own password: required after an administrator set it, or when it is too old.

The change goes through ``ebr.accounts.change_password``: the current password is checked (a wrong
one is audited and counts toward the lockout), the new one must meet the rules and be none of the
last few, and the person's signing key is re-wrapped under it, or made anew when the old password
was not their own. Every session of the person ends; this browser, which has just shown both
passwords, gets a new one.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from api.context import ApiContext
from api.deps import ContextDep, station_of
from api.errors import status_of
from api.web.forms import text
from api.web.rendering import WebRoute, page
from api.web.routes.auth import LOCKED, safe_next, start_session
from api.web.session import PasswordUserDep, WebUser, require_csrf
from ebr.accounts import Controls, change_password
from ebr.accounts.errors import AccountError, AccountLocked, InvalidCredentials

router = APIRouter(route_class=WebRoute, include_in_schema=False)

WRONG_CURRENT = "The current password is not correct; the password was not changed."
MISMATCH = "The two new passwords are not the same; the password was not changed."


def _form(
    request: Request,
    context: ApiContext,
    user: WebUser,
    *,
    next_path: str,
    error: str = "",
    field: str = "",
    status: int = 200,
) -> HTMLResponse:
    settings = context.settings
    return page(
        request,
        "password.html",
        user=user,
        status_code=status,
        title="Change password",
        next_path=safe_next(next_path),
        error=error,
        field=field,
        min_length=settings.password_min_length,
        max_age_days=settings.password_max_age_days,
    )


@router.get("/password", response_class=HTMLResponse)
def password_page(
    request: Request,
    context: ContextDep,
    user: PasswordUserDep,
    next: str = "/",  # noqa: A002 (query name)
) -> HTMLResponse:
    return _form(request, context, user, next_path=next)


@router.post("/password", response_class=HTMLResponse)
async def new_password(request: Request, context: ContextDep, user: PasswordUserDep) -> Response:
    form = await request.form()
    require_csrf(form, user)
    next_path = safe_next(text(form, "next") or "/")
    new = text(form, "new_password")
    if new != text(form, "repeat_password"):
        return _form(
            request, context, user, next_path=next_path, error=MISMATCH, field="repeat", status=422
        )
    try:
        await run_in_threadpool(
            change_password,
            context.engine,
            context.trust.ca,
            user_id=user.user_id,
            old=text(form, "old_password"),
            new=new,
            station=station_of(request),
            now=context.now(),
            controls=Controls.of(context.settings),
        )
    except AccountError as exc:
        if isinstance(exc, AccountLocked):
            error, field = LOCKED, ""
        elif isinstance(exc, InvalidCredentials):
            error, field = WRONG_CURRENT, "old"
        else:
            error, field = f"{exc.message[:1].upper()}{exc.message[1:]}.", "new"
        return _form(
            request,
            context,
            user,
            next_path=next_path,
            error=error,
            field=field,
            status=status_of(exc),
        )
    response = RedirectResponse(f"/password/changed?next={quote(next_path)}", status_code=303)
    await start_session(response, request, context, user_id=user.user_id)
    return response


@router.get("/password/changed", response_class=HTMLResponse)
def changed(
    request: Request,
    user: PasswordUserDep,
    next: str = "/",  # noqa: A002 (query name)
) -> HTMLResponse:
    return page(
        request,
        "password_changed.html",
        user=user,
        title="Password changed",
        next_path=safe_next(next),
    )
