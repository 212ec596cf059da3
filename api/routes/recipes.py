"""Master recipes: upload a version (validated, immutable), list them, read one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from api.deps import CurrentUser, ReadSessionDep, RequireRole, SessionDep, station_of
from api.refusals import InvalidRequest, UnsupportedMediaType
from api.schemas import RecipeDetail, RecipeSummary, RecipeUpload
from ebr.audit import audit_recipe_loaded
from ebr.domain.recipe_loading import parse_recipe
from ebr.domain.refusals import RecipeNotFound
from ebr.domain.roles import Role
from ebr.store.recipes import RecipeRow, get_recipe, list_recipes, recipe_of, save_recipe
from ebr.store.users import UserRow

router = APIRouter(prefix="/api/recipes", tags=["recipes"])

RecipeAuthor = Annotated[UserRow, Depends(RequireRole(Role.QA, Role.ADMIN))]
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/plain")


def summary(row: RecipeRow) -> RecipeSummary:
    return RecipeSummary.model_validate(row, from_attributes=True)


@router.get("", response_model=list[RecipeSummary])
def recipes(
    _: CurrentUser, session: ReadSessionDep, code: str | None = None
) -> list[RecipeSummary]:
    return [summary(row) for row in list_recipes(session=session, code=code)]


@router.post(
    "",
    response_model=RecipeSummary,
    status_code=201,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/yaml": {"schema": {"type": "string"}},
                "application/json": {"schema": RecipeUpload.model_json_schema()},
            }
        }
    },
)
async def upload(
    request: Request, response: Response, user: RecipeAuthor, session: SessionDep
) -> RecipeSummary:
    """Load a recipe version from YAML (body as YAML, or JSON ``{"source": "..."}``).

    201 when new; 200 when the identical version is already loaded; 409 when that code and version
    exist with other content; 422 listing every problem, each naming its step and field.
    """
    source = await _source(request)
    recipe = parse_recipe(source)
    row, created = save_recipe(
        session=session, recipe=recipe, source=source, loaded_by=user.user_id, at=datetime.now(UTC)
    )
    if created:
        audit_recipe_loaded(session, row=row, actor=user.user_id, station=station_of(request))
    else:
        response.status_code = 200
    return summary(row)


@router.get("/{code}/{version}", response_model=RecipeDetail)
def recipe(code: str, version: int, _: CurrentUser, session: ReadSessionDep) -> RecipeDetail:
    row = get_recipe(session=session, code=code, version=version)
    if row is None:
        raise RecipeNotFound(
            f"there is no recipe {code} v{version}",
            {"recipe_code": code, "recipe_version": version},
        )
    return RecipeDetail(**summary(row).model_dump(), recipe=recipe_of(row), source=row.source)


async def _source(request: Request) -> str:
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    raw = await request.body()
    if content_type == "application/json":
        return RecipeUpload.model_validate_json(raw).source
    if content_type in YAML_TYPES or not content_type:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidRequest("the recipe must be UTF-8 text") from None
    raise UnsupportedMediaType(
        f"send the recipe as application/yaml or JSON, not {content_type}",
    )
