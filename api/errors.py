"""Turning every refusal into a 4xx answer a person can act on: ``{"error", "message", "details"}``.

This is the one place where a refusal's kind (``ebr.domain.refusals.RefusalKind``) becomes an
HTTP status: the domain, the store, the account controls and the workflows say what went wrong,
the edge says how HTTP spells it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.service import RPCError

import api.refusals  # noqa: F401  (the API's own refusals join Refusal.by_code)
from api.refusals import StoreUnavailable, TemporalUnavailable
from ebr.domain.refusals import Refusal, RefusalKind

STATUS_OF_KIND = {
    RefusalKind.INVALID: 422,
    RefusalKind.CONFLICT: 409,
    RefusalKind.FORBIDDEN: 403,
    RefusalKind.NOT_FOUND: 404,
    RefusalKind.UNAUTHENTICATED: 401,
    RefusalKind.LOCKED: 423,
    RefusalKind.THROTTLED: 429,
    RefusalKind.UNSUPPORTED: 415,
    RefusalKind.UNAVAILABLE: 503,
    RefusalKind.DAMAGED: 500,
}


def status_of(refusal: Refusal) -> int:
    """The HTTP status of a refusal: its kind's."""
    return STATUS_OF_KIND[refusal.kind]


def headers_of(refusal: Refusal) -> dict[str, str] | None:
    """``Retry-After`` (whole seconds) when the refusal says when to try again (a throttled
    sign-in, a timed lockout)."""
    details = refusal.details
    if isinstance(details, dict) and isinstance(details.get("retry_after"), int):
        return {"Retry-After": str(details["retry_after"])}
    return None


MAX_DETAILS = 100
"""At most this many problems are listed in an answer: a body of 10,000 bad fields is refused in
a few kilobytes, not echoed back whole."""


def body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    if isinstance(details, list) and len(details) > MAX_DETAILS:
        more = len(details) - MAX_DETAILS
        note = {"field": None, "reason": f"{more} more problems not listed"}
        details = [*details[:MAX_DETAILS], note]
    return {"error": code, "message": message, "details": jsonable_encoder(details)}


def install(app: FastAPI) -> None:
    @app.exception_handler(Refusal)
    async def _refused(_: Request, exc: Refusal) -> JSONResponse:
        return JSONResponse(
            body(exc.code, exc.message, exc.details),
            status_code=status_of(exc),
            headers=headers_of(exc),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(
            body(code, str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"field": ".".join(str(p) for p in e["loc"][1:]) or e["loc"][0], "reason": e["msg"]}
            for e in exc.errors()
        ]
        named = [str(p["field"]) for p in problems]
        fields = ", ".join(named[:10]) + (f" and {len(named) - 10} more" if len(named) > 10 else "")
        return JSONResponse(
            body("invalid_request", f"the request is not valid ({fields})", problems),
            status_code=422,
        )

    @app.exception_handler(RPCError)
    async def _temporal_down(_: Request, exc: RPCError) -> JSONResponse:
        """A call to Temporal that failed outside a command's own handling: the service is
        unreachable or refused the call. A 503 the client may retry, never a 500."""
        down = TemporalUnavailable(
            f"the workflow service did not answer ({exc.status.name if exc.status else 'error'}); "
            "nothing was recorded unless a read shows it: try again",
            {"retry_after": 5},
        )
        return JSONResponse(
            body(down.code, down.message, down.details), status_code=503, headers=headers_of(down)
        )

    @app.exception_handler(OperationalError)
    async def _store_down(_: Request, exc: OperationalError) -> JSONResponse:
        down = StoreUnavailable("the record store does not answer; try again", {"retry_after": 5})
        return JSONResponse(
            body(down.code, down.message, down.details), status_code=503, headers=headers_of(down)
        )
