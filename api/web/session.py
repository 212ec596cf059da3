"""Web sessions: the sign-in cookie, the person it names, and the CSRF token that guards forms.

The cookie holds the same JWT the API issues (``api.tokens.issue``), naming a server-side session
that every page checks (``api.sessions``): when the session ends (signing out, a password change,
a disabled account, a role change, a lockout, or ``EBR_IDLE_MINUTES`` without a request) the
cookie stops working, as a page cookie and as a bearer token alike. It is HttpOnly, SameSite=Strict
and Secure over https. Because a cookie is sent by the browser on its own, every state-changing form
also carries a CSRF token: an HMAC-SHA256 of that JWT under the API secret, so it is bound to one
sign-in, needs no server state, and cannot be computed by a page that cannot read the cookie.
Before sign-in, the login form is guarded by a double-submit token (random cookie = hidden field).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request, Response
from starlette.datastructures import FormData

from api.context import ApiContext
from api.deps import ContextDep, station_of
from api.refusals import NotAuthenticated
from api.sessions import find, settle
from ebr.accounts import Controls, needs_new_password
from ebr.accounts.alerts import ALERTED
from ebr.accounts.errors import SessionEnded
from ebr.accounts.sessions import Verdict
from ebr.accounts.throttle import is_locked
from ebr.domain.batch import Actor
from ebr.domain.roles import Role
from ebr.store.alerts import count_alerts
from ebr.store.db import session_scope
from ebr.store.users import UserRow, roles_of

__all__ = [
    "COOKIE",
    "CSRF_FIELD",
    "LOGIN_COOKIE",
    "CsrfRefused",
    "PasswordChangeNeeded",
    "PasswordUserDep",
    "SignInRequired",
    "WebUser",
    "WebUserDep",
    "csrf_token",
    "require_csrf",
    "set_session_cookie",
]

# Over how many days the header counts alerts for those who see them (``ALERTED``).
ALERT_DAYS = 7

COOKIE = "ebr_session"
LOGIN_COOKIE = "ebr_login"
CSRF_FIELD = "csrf_token"


class SignInRequired(Exception):
    """No valid session: the page answers with a redirect to /login; ``why`` says, when known,
    why the session ended (``idle``: the login page says so)."""

    def __init__(self, next_path: str, why: str | None = None) -> None:
        super().__init__("sign in first")
        self.next_path = next_path
        self.why = why


class PasswordChangeNeeded(Exception):
    """The password was set by an administrator or has expired: the page sends to /password."""

    def __init__(self, next_path: str) -> None:
        super().__init__("set your own password first")
        self.next_path = next_path


class CsrfRefused(Exception):
    """A form came without the token of the session it claims: refused with 403, nothing done."""


@dataclass(frozen=True)
class WebUser:
    """The signed-in person as pages need them: who, which roles, and their session's CSRF token."""

    user_id: str
    full_name: str
    roles: tuple[Role, ...]
    csrf: str
    station: str
    must_change_password: bool = False
    # Alerts of the last ALERT_DAYS, counted for the people who must see them (admin and QA).
    alerts: int = 0

    def has(self, *roles: Role) -> bool:
        return bool(set(roles) & set(self.roles))

    @property
    def actor(self) -> Actor:
        return Actor(
            user_id=self.user_id, full_name=self.full_name, roles=self.roles, station=self.station
        )


def csrf_token(*, secret: str, session_token: str) -> str:
    """The CSRF token bound to one session: HMAC-SHA256(secret, "csrf:" + JWT), hex."""
    message = f"csrf:{session_token}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _signed_in(request: Request, context: ApiContext) -> tuple[UserRow, str]:
    """The user whose live session the cookie names, and the cookie; SignInRequired when there is
    none, when the session has ended (or ends now, idle too long), or when the account is
    disabled or locked (a lockout ends the session at once)."""
    token = request.cookies.get(COOKIE) or None
    now = context.now()
    try:
        found = find(context, token, now=now)
        if found.verdict is not Verdict.LIVE:
            settle(context, found, station=station_of(request), now=now)
    except (NotAuthenticated, SessionEnded) as exc:
        why = "idle" if isinstance(exc, SessionEnded) and _was_idle(exc) else None
        raise SignInRequired(request.url.path, why) from None
    user = found.user
    if not user.active or is_locked(user, now=now):
        raise SignInRequired(request.url.path)
    return user, found.token


def _was_idle(exc: SessionEnded) -> bool:
    return isinstance(exc.details, dict) and exc.details.get("reason") == "idle"


def _web_user(request: Request, context: ApiContext, user: UserRow, token: str) -> WebUser:
    controls = Controls.of(context.settings)
    roles = roles_of(user)
    alerts = 0
    if set(roles) & set(ALERTED):
        with session_scope(context.reads) as session:
            since = context.now() - timedelta(days=ALERT_DAYS)
            alerts = count_alerts(session=session, since=since)
    return WebUser(
        user_id=user.user_id,
        full_name=user.full_name,
        roles=roles,
        csrf=csrf_token(secret=context.token_secret, session_token=token),
        station=station_of(request),
        must_change_password=needs_new_password(user, now=context.now(), controls=controls),
        alerts=alerts,
    )


def web_user(request: Request, context: ContextDep) -> WebUser:
    """The signed-in user; raises SignInRequired without a session, and PasswordChangeNeeded while
    their password is one an administrator set, or too old."""
    shown = _web_user(request, context, *_signed_in(request, context))
    if shown.must_change_password:
        raise PasswordChangeNeeded(request.url.path)
    return shown


def password_user(request: Request, context: ContextDep) -> WebUser:
    """The signed-in user, whatever the age of their password (for the change-password page)."""
    return _web_user(request, context, *_signed_in(request, context))


WebUserDep = Annotated[WebUser, Depends(web_user)]
PasswordUserDep = Annotated[WebUser, Depends(password_user)]


def require_csrf(form: FormData, user: WebUser) -> None:
    """Raise CsrfRefused unless the form carries the session's CSRF token (constant-time compare)."""
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(sent, user.csrf):
        raise CsrfRefused("the form's security token is missing or wrong")


def new_login_token() -> str:
    return secrets.token_urlsafe(32)


def login_token_ok(request: Request, form: FormData) -> bool:
    """Double-submit check for the login form: the hidden field equals the login cookie."""
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    sent = form.get(CSRF_FIELD)
    return bool(cookie) and isinstance(sent, str) and hmac.compare_digest(sent, cookie)


def set_session_cookie(
    response: Response, request: Request, context: ApiContext, token: str
) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=context.settings.token_minutes * 60,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    response.delete_cookie(LOGIN_COOKIE, path="/login")


def set_login_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        path="/login",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
