"""Recipe dry runs: a stored recipe version, or one sent in the body, executed on a simulated
plant (``ebr.dry_run``) and answered as the ``DryRun`` report. Nothing is stored."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from api.deps import ContextDep, CurrentUser
from api.recipe_sources import RECIPE_BODY, recipe_source
from ebr.domain.dry_run import DryRun
from ebr.domain.recipe_loading import parse_recipe
from ebr.domain.refusals import RecipeNotFound
from ebr.dry_run import dry_run
from ebr.store.db import session_scope
from ebr.store.recipes import get_recipe, recipe_of

router = APIRouter(prefix="/api/recipes", tags=["recipes"])


@router.post("/simulate", response_model=DryRun, openapi_extra=RECIPE_BODY)
async def simulate_source(request: Request, _: CurrentUser) -> DryRun:
    """Dry-run the recipe in the body (YAML, or JSON ``{"source": "..."}``).

    200 with the report, whatever it finds (``problems`` counts its findings); 422 listing every
    problem of a body that is not a valid recipe; 503 when the simulator is not installed.
    """
    recipe = await run_in_threadpool(parse_recipe, await recipe_source(request))
    return await dry_run(recipe)


@router.post("/{code}/{version}/simulate", response_model=DryRun)
async def simulate_stored(code: str, version: int, _: CurrentUser, context: ContextDep) -> DryRun:
    """Dry-run a stored recipe version: 200 with the report; 404 for an unknown version."""
    with session_scope(context.reads) as session:  # not held while the dry run runs
        row = get_recipe(session=session, code=code, version=version)
        if row is None:
            raise RecipeNotFound(
                f"there is no recipe {code} v{version}",
                {"recipe_code": code, "recipe_version": version},
            )
        recipe = recipe_of(row)
    return await dry_run(recipe)
