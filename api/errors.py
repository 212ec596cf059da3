"""Turning every refusal into a 4xx answer a person can act on: ``{"error", "message", "details"}``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ebr.account_errors import AccountError
from ebr.domain.errors import DomainError, ErrorKind, kind_of
from ebr.store.errors import AlreadyExists, Conflict, NotFound, StoreError

STATUS_OF_KIND = {
    ErrorKind.INVALID: 422,
    ErrorKind.CONFLICT: 409,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.NOT_FOUND: 404,
}


# Codes whose HTTP status is not their kind's: a rework naming no step, or one that cannot be
# redone, is a bad request body (its ``details.field`` says which), not a conflict with the batch.
STATUS_OF_CODE = {"rework_invalid": 422}


class ApiError(Exception):
    """An error raised by the API layer itself, with its HTTP status."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def refusal(code: str, message: str, details: Any = None) -> ApiError:
    """A workflow's refusal (an update failure whose type is a domain error code) as an ApiError."""
    status = STATUS_OF_CODE.get(code) or STATUS_OF_KIND[kind_of(code)]
    return ApiError(status, code, message, details)


def body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": code, "message": message, "details": jsonable_encoder(details)}


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(body(exc.code, exc.message, exc.details), status_code=exc.status)

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        status = STATUS_OF_CODE.get(exc.code) or STATUS_OF_KIND[exc.kind]
        return JSONResponse(body(exc.code, exc.message, exc.details), status_code=status)

    @app.exception_handler(AccountError)
    async def _account(_: Request, exc: AccountError) -> JSONResponse:
        return JSONResponse(body(exc.code, exc.message, exc.details), status_code=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(
            body(code, str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(StoreError)
    async def _store(_: Request, exc: StoreError) -> JSONResponse:
        if isinstance(exc, Conflict | AlreadyExists):
            status = 409
        elif isinstance(exc, NotFound):
            status = 404
        else:
            status = 500
        return JSONResponse(body(exc.code, exc.message, exc.details), status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"field": ".".join(str(p) for p in e["loc"][1:]) or e["loc"][0], "reason": e["msg"]}
            for e in exc.errors()
        ]
        fields = ", ".join(str(p["field"]) for p in problems)
        return JSONResponse(
            body("invalid_request", f"the request is not valid ({fields})", problems),
            status_code=422,
        )
