"""Signing in and out of the pages: a form that opens a session and sets its cookie, and a button
that ends every session of the person and clears the cookie.

Sign-in goes through ``ebr.accounts.sign_in``: every failure is audited, counts toward the
lockout and delays the next attempt; a delay still running, and a locked account, are told so in
words. A password an administrator set, or one too old, sends the person to the change-password
page before anything else.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from api.context import ApiContext
from api.deps import ContextDep, source_of, station_of
from api.errors import headers_of, status_of
from api.tokens import issue
from api.web.forms import text
from api.web.rendering import WebRoute, page, utc
from api.web.session import (
    COOKIE,
    PasswordUserDep,
    login_token_ok,
    new_login_token,
    require_csrf,
    set_login_cookie,
    set_session_cookie,
)
from ebr.accounts import Controls, needs_new_password, open_session, sign_in, sign_out
from ebr.accounts.errors import AccountError, AccountLocked, SignInThrottled

router = APIRouter(route_class=WebRoute, include_in_schema=False)

BAD_CREDENTIALS = "The user id or password is not correct, or the account is disabled."
LOCKED = (
    "This account is locked after too many failed attempts. Nothing can be signed with it until "
    "the lockout ends or an administrator unlocks it: ask your supervisor or the system "
    "administrator."
)
THROTTLED = "Too many failed sign-ins just now. Wait {seconds} seconds, then try again."
IDLE = "You were signed out after {minutes:g} minutes without activity. Sign in again."


def refusal_words(exc: AccountError) -> str:
    """What the sign-in form says of a refusal (never which of user id or password was wrong)."""
    if isinstance(exc, AccountLocked):
        until = exc.details.get("locked_until") if isinstance(exc.details, dict) else None
        ends = f" It unlocks by itself at {utc(datetime.fromisoformat(until))}." if until else ""
        return LOCKED + ends
    if isinstance(exc, SignInThrottled):
        return THROTTLED.format(seconds=exc.details["retry_after"])
    return BAD_CREDENTIALS


def safe_next(target: str) -> str:
    """Only a path on this site: never ``//host`` or a full URL (no open redirect)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def login_form(
    request: Request,
    *,
    next_path: str,
    user_id: str = "",
    error: str = "",
    notice: str = "",
    status: int = 200,
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
        notice=notice,
    )
    set_login_cookie(response, request, token)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request,
    context: ContextDep,
    next: str = "/",  # noqa: A002 (query name)
    why: str = "",
) -> HTMLResponse:
    """The sign-in form; ``why=idle`` (from a page whose session lapsed) says so."""
    notice = IDLE.format(minutes=context.settings.idle_minutes) if why == "idle" else ""
    return login_form(request, next_path=next, notice=notice)


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, context: ContextDep) -> Response:
    form = await request.form()
    user_id = text(form, "user_id").strip()
    next_path = text(form, "next") or "/"
    if not login_token_ok(request, form):
        error = "The sign-in form had expired. Please sign in again."
        return login_form(request, next_path=next_path, user_id=user_id, error=error, status=403)
    now, controls = context.now(), Controls.of(context.settings)
    station = station_of(request)
    try:
        user = await run_in_threadpool(
            sign_in,
            context.engine,
            user_id=user_id,
            password=text(form, "password"),
            station=station,
            now=now,
            controls=controls,
            source=source_of(request),
        )
    except AccountError as exc:
        refused = login_form(
            request,
            next_path=next_path,
            user_id=user_id,
            error=refusal_words(exc),
            status=status_of(exc),
        )
        refused.headers.update(headers_of(exc) or {})
        return refused
    target = safe_next(next_path)
    if needs_new_password(user, now=now, controls=controls):
        target = f"/password?next={quote(target)}"
    response = RedirectResponse(target, status_code=303)
    await start_session(response, request, context, user_id=user.user_id)
    return response


async def start_session(
    response: Response, request: Request, context: ApiContext, *, user_id: str
) -> None:
    """Open a session for ``user_id`` and set its cookie on ``response``."""
    session_id = await run_in_threadpool(
        open_session,
        context.engine,
        user_id=user_id,
        station=station_of(request),
        now=context.now(),
    )
    token = issue(
        secret=context.token_secret,
        user_id=user_id,
        session_id=session_id,
        minutes=context.settings.token_minutes,
    )
    set_session_cookie(response, request, context, token)


@router.post("/logout")
async def logout(request: Request, context: ContextDep, user: PasswordUserDep) -> Response:
    """Sign out: every session of the person ends (this browser's, other stations', and API
    tokens), and the cookie is cleared."""
    require_csrf(await request.form(), user)
    await run_in_threadpool(
        sign_out, context.engine, user_id=user.user_id, station=user.station, now=context.now()
    )
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response
