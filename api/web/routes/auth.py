"""Signing in and out of the pages: a form that sets the session cookie, and a button that clears it.

Sign-in goes through ``ebr.accounts.sign_in``: every failure is audited and counts toward the
lockout, and a locked account is told so in words. A password an administrator set, or one too
old, sends the person to the change-password page before anything else.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import ContextDep, station_of
from api.errors import status_of
from api.tokens import issue
from api.web.forms import text
from api.web.rendering import WebRoute, page
from api.web.session import (
    COOKIE,
    PasswordUserDep,
    login_token_ok,
    new_login_token,
    require_csrf,
    set_login_cookie,
    set_session_cookie,
)
from ebr.accounts import Controls, needs_new_password, sign_in
from ebr.accounts.errors import AccountError, AccountLocked

router = APIRouter(route_class=WebRoute, include_in_schema=False)

BAD_CREDENTIALS = "The user id or password is not correct, or the account is disabled."
LOCKED = (
    "This account is locked after too many failed attempts. Nothing can be signed with it until "
    "an administrator unlocks it: ask your supervisor or the system administrator."
)


def safe_next(target: str) -> str:
    """Only a path on this site: never ``//host`` or a full URL (no open redirect)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def login_form(
    request: Request, *, next_path: str, user_id: str = "", error: str = "", status: int = 200
) -> HTMLResponse:
    token = new_login_token()
    response = page(
        request,
        "login.html",
        user=None,
        title="Sign in",
        status_code=status,
        login_token=token,
        next_path=safe_next(next_path),
        user_id=user_id,
        error=error,
    )
    set_login_cookie(response, request, token)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:  # noqa: A002 (query name)
    return login_form(request, next_path=next)


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, context: ContextDep) -> Response:
    form = await request.form()
    user_id = text(form, "user_id").strip()
    next_path = text(form, "next") or "/"
    if not login_token_ok(request, form):
        error = "The sign-in form had expired. Please sign in again."
        return login_form(request, next_path=next_path, user_id=user_id, error=error, status=403)
    now, controls = datetime.now(UTC), Controls.of(context.settings)
    try:
        user = await run_in_threadpool(
            sign_in,
            context.engine,
            user_id=user_id,
            password=text(form, "password"),
            station=station_of(request),
            now=now,
            controls=controls,
        )
    except AccountError as exc:
        error = LOCKED if isinstance(exc, AccountLocked) else BAD_CREDENTIALS
        return login_form(
            request, next_path=next_path, user_id=user_id, error=error, status=status_of(exc)
        )
    minutes = context.settings.token_minutes
    token = issue(secret=context.token_secret, user_id=user.user_id, minutes=minutes)
    target = safe_next(next_path)
    if needs_new_password(user, now=now, controls=controls):
        target = f"/password?next={quote(target)}"
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, request, context, token)
    return response


@router.post("/logout")
async def logout(request: Request, user: PasswordUserDep) -> Response:
    require_csrf(await request.form(), user)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response
