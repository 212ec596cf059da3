"""Signing in and out of the pages: a form that sets the session cookie, and a button that clears it."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import ContextDep
from api.tokens import issue
from api.web.forms import text
from api.web.rendering import WebRoute, page
from api.web.session import (
    COOKIE,
    WebUserDep,
    login_token_ok,
    new_login_token,
    require_csrf,
    set_login_cookie,
    set_session_cookie,
)
from ebr.passwords import verify_password
from ebr.store.db import session_scope
from ebr.store.users import get_user

router = APIRouter(route_class=WebRoute, include_in_schema=False)

BAD_CREDENTIALS = "The user id or password is not correct, or the account is disabled."


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
    with session_scope(context.reads) as session:
        user = get_user(session=session, user_id=user_id)
        valid = verify_password(user.password_hash if user else None, text(form, "password"))
        active = bool(user and user.active)
    if not (valid and active):
        return login_form(
            request, next_path=next_path, user_id=user_id, error=BAD_CREDENTIALS, status=401
        )
    minutes = context.settings.token_minutes
    token = issue(secret=context.token_secret, user_id=user_id, minutes=minutes)
    response = RedirectResponse(safe_next(next_path), status_code=303)
    set_session_cookie(response, request, context, token)
    return response


@router.post("/logout")
async def logout(request: Request, user: WebUserDep) -> Response:
    require_csrf(await request.form(), user)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response
