"""Rendering pages: the Jinja2 environment (autoescaped), its filters, and the web route class.

``WebRoute`` turns what a page may raise into what a browser expects: no session becomes a redirect
to the login page, a password that must be changed one to the change-password page; a refused CSRF
token a 403 page; any other refusal (no such batch) a page saying so, with its kind's status.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from api.errors import status_of
from api.web.session import (
    CSRF_FIELD,
    CsrfRefused,
    PasswordChangeNeeded,
    SignInRequired,
    WebUser,
)
from ebr.domain.recipe import Step
from ebr.domain.refusals import Refusal
from ebr.domain.step_verification import verification_reason

__all__ = [
    "STATIC_DIR",
    "WebRoute",
    "environment",
    "local",
    "local_zone",
    "page",
    "status_words",
    "utc",
]

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"

environment = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def utc(moment: datetime | None) -> str:
    """A moment as the record shows it: ``2025-06-01 14:03:22 UTC`` (always UTC, zone named)."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def local(moment: datetime | None) -> str:
    """A moment in the site's local time, its zone named: ``2026-06-01 16:03:22 CEST``. Pages that
    show people when something happened where they work (a recipe's effective date, who signed
    it and when) use it; the store and the signatures keep UTC (the server's zone is the site's)."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


def local_zone() -> str:
    """The site's zone now, as ``local`` names it (``CEST``), for a form that asks a local time."""
    return datetime.now().astimezone().strftime("%Z")


def status_words(status: str) -> str:
    return str(status).replace("_", " ")


def sentence(text: str) -> str:
    """The first letter capital, the rest as written (messages quote ids that keep their case),
    and a full stop unless the message ends its own sentence."""
    text = text.strip()
    end = "" if not text or text[-1] in ".!?" else "."
    return text[:1].upper() + text[1:] + end


def verification(step: object) -> str | None:
    """Why a second person verifies a step (``step_verification.verification_reason``), for a
    recipe's step or a batch's (``StepView`` carries it); None when none does."""
    if isinstance(step, Step):
        return verification_reason(step)
    return getattr(step, "verify_reason", None)


environment.filters["utc"] = utc
environment.filters["verification"] = verification
environment.filters["local"] = local
environment.filters["sentence"] = sentence
environment.filters["words"] = status_words
environment.globals["CSRF_FIELD"] = CSRF_FIELD


def page(
    request: Request,
    template: str,
    *,
    user: WebUser | None,
    status_code: int = 200,
    **values: Any,
) -> HTMLResponse:
    """Render ``template`` with the signed-in ``user`` and ``values``; never cached by the browser."""
    html = environment.get_template(template).render(request=request, user=user, **values)
    return HTMLResponse(
        html,
        status_code=status_code,
        headers={
            "Cache-Control": "no-store",
            "X-Frame-Options": "DENY",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
            "Content-Security-Policy": (
                "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self'; "
                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
            ),
        },
    )


class WebRoute(APIRoute):
    """An APIRoute whose sign-in and CSRF refusals become a redirect and a 403 page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired as exc:
                back = exc.next_path if request.method == "GET" else "/"
                why = f"&why={exc.why}" if exc.why else ""
                return RedirectResponse(f"/login?next={quote(back)}{why}", status_code=303)
            except PasswordChangeNeeded as exc:
                back = exc.next_path if request.method == "GET" else "/"
                return RedirectResponse(f"/password?next={quote(back)}", status_code=303)
            except CsrfRefused as exc:
                return page(
                    request,
                    "refused.html",
                    user=None,
                    status_code=403,
                    title="Form refused",
                    message=f"{exc} — nothing was recorded. Reload the page and try again.",
                )
            except Refusal as exc:
                return page(
                    request,
                    "refused.html",
                    user=None,
                    status_code=status_of(exc),
                    title="Not available",
                    message=exc.message,
                )

        return route
