"""The FastAPI application, built around a context the composition root provides."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from api import errors, web
from api.context import ApiContext
from api.readiness import readiness
from api.routes import (
    alerts,
    audit,
    auth,
    batches,
    decisions,
    deviations,
    dry_runs,
    holds,
    recipes,
    redlines,
    reports,
    review,
    steps,
    users,
)


def create_app(context: ApiContext) -> FastAPI:
    app = FastAPI(
        title="ebr",
        summary="Electronic batch records executed as durable workflows",
        version="0.1.0",
    )
    app.state.context = context
    errors.install(app)
    app.include_router(auth.router)
    app.include_router(dry_runs.router)  # before recipes: ".../{version}/simulate" is its
    app.include_router(recipes.router)
    app.include_router(batches.router)
    app.include_router(steps.router)
    app.include_router(holds.router)
    app.include_router(deviations.router)
    app.include_router(redlines.router)
    app.include_router(review.router)
    app.include_router(decisions.router)
    app.include_router(reports.router)
    app.include_router(audit.router)
    app.include_router(users.router)
    app.include_router(alerts.router)
    app.include_router(web.router)
    app.mount("/static", StaticFiles(directory=web.STATIC_DIR), name="static")

    @app.get("/api/health", tags=["health"])
    def health() -> dict[str, str]:
        """The process lives (a liveness probe): nothing else is asked."""
        return {"status": "ok"}

    @app.get("/api/ready", tags=["health"])
    async def ready() -> JSONResponse:
        """The API can do its work (a readiness probe): the record store answers, Temporal
        answers, and a worker polls the task queue; 503 naming what does not."""
        found = await readiness(context.reader, context.temporal, context.settings.task_queue)
        checks = {"store": found.store, "temporal": found.temporal, "worker": found.worker}
        answer = {
            "status": "ready" if found.ready else "not_ready",
            "checks": {name: problem or "ok" for name, problem in checks.items()},
        }
        headers = None if found.ready else {"Retry-After": "5"}
        return JSONResponse(answer, status_code=200 if found.ready else 503, headers=headers)

    return app
