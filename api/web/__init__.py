"""Server-rendered pages: sign-in, batches, step forms, recipes, and the QA side (deviations,
holds, review by exception, release, downloads).

Mount with ``app.include_router(web.router)`` and
``app.mount("/static", StaticFiles(directory=web.STATIC_DIR), name="static")``.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.web.rendering import STATIC_DIR
from api.web.routes import (
    accounts,
    alerts,
    auth,
    batches,
    decisions,
    deviations,
    holds,
    password,
    recipes,
    reports,
    review,
    steps,
)

__all__ = ["STATIC_DIR", "router"]

router = APIRouter(include_in_schema=False)
router.include_router(auth.router)
router.include_router(password.router)
router.include_router(batches.router)
router.include_router(steps.router)
router.include_router(deviations.router)
router.include_router(holds.router)
router.include_router(review.router)
router.include_router(decisions.router)
router.include_router(reports.router)
router.include_router(recipes.router)
router.include_router(alerts.router)
router.include_router(accounts.router)
