"""The FastAPI application, built around a context the composition root provides."""

from __future__ import annotations

from fastapi import FastAPI

from api import errors
from api.context import ApiContext
from api.routes import auth, batches, recipes


def create_app(context: ApiContext) -> FastAPI:
    app = FastAPI(
        title="ebr",
        summary="Electronic batch records executed as durable workflows",
        version="0.1.0",
    )
    app.state.context = context
    errors.install(app)
    app.include_router(auth.router)
    app.include_router(recipes.router)
    app.include_router(batches.router)

    @app.get("/api/health", tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
