"""The recipe pages: the loaded versions, and one version's procedure, read-only."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import ContextDep
from api.web.recipe_views import recipe_rows
from api.web.rendering import WebRoute, page
from api.web.session import WebUserDep
from ebr.domain.refusals import RecipeNotFound
from ebr.store.db import session_scope
from ebr.store.recipes import get_recipe, recipe_of

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/recipes", response_class=HTMLResponse)
def recipes(request: Request, context: ContextDep, user: WebUserDep) -> HTMLResponse:
    rows = recipe_rows(engine=context.reads)
    return page(request, "recipes.html", user=user, title="Recipes", recipes=rows)


@router.get("/recipes/{code}/{version}", response_class=HTMLResponse)
def recipe(
    code: str, version: str, request: Request, context: ContextDep, user: WebUserDep
) -> HTMLResponse:
    with session_scope(context.reads) as session:
        number = int(version) if version.isdigit() and len(version) < 10 else 0
        row = get_recipe(session=session, code=code, version=number)
        if row is None:
            raise RecipeNotFound(f"there is no recipe {code} v{version}")
        shown = recipe_of(row)
    return page(
        request,
        "recipe.html",
        user=user,
        title=f"Recipe {code} v{version}",
        row=row,
        recipe=shown,
    )
