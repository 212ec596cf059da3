"""Master recipes under change control: drafts, each version's state and signatures, the signed
transitions of its life (submit, review, return, approve, retire), and diffs between versions.

Who may do what is the recipe's workflow's to say (``ebr.domain.recipe_change_control``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from api.deps import ActorDep, ContextDep, CurrentUser, ReadSessionDep
from api.recipe_schemas import (
    RECIPE_ACTIONS,
    RecipeDetail,
    RecipeSignedResult,
    RecipeSummary,
)
from api.recipe_sources import RECIPE_BODY, recipe_source
from api.recipes import recipe_detail, recipe_summaries, save_draft, sign_transition
from api.refusals import UnknownAction
from ebr.domain.recipe_diff import RecipeDiff, diff_recipes
from ebr.domain.refusals import RecipeNotFound
from ebr.store.recipes import get_recipe, recipe_of

router = APIRouter(prefix="/api/recipes", tags=["recipes"])

Version = Annotated[int, Path(ge=1, le=1_000_000)]
_BODIES = {"oneOf": [model.model_json_schema() for model in RECIPE_ACTIONS.values()]}


@router.get("", response_model=list[RecipeSummary])
def recipes(
    _: CurrentUser, session: ReadSessionDep, code: str | None = None
) -> list[RecipeSummary]:
    """Every version of every recipe (or of ``code``), each with its state now."""
    return recipe_summaries(session=session, code=code)


@router.post("", response_model=RecipeSummary, status_code=201, openapi_extra=RECIPE_BODY)
async def upload(
    request: Request, response: Response, actor: ActorDep, context: ContextDep
) -> RecipeSummary:
    """An author saves a draft of a recipe version, from YAML (body as YAML, or JSON
    ``{"source": "..."}``): a new version, or a change of one still a draft.

    201 when this content is new for the version (its next revision); 200 when it was saved
    before; 403 for anyone but an author; 409 when the version is past its draft; 422 listing
    every problem, each naming its step and field."""
    saved, created = await save_draft(context, actor, await recipe_source(request))
    if not created:
        response.status_code = 200
    return saved


@router.get("/{code}/diff", response_model=RecipeDiff)
def diff(
    code: str,
    _: CurrentUser,
    session: ReadSessionDep,
    before: Annotated[int, Query(alias="from", ge=1, le=1_000_000)],
    after: Annotated[int, Query(alias="to", ge=1, le=1_000_000)],
) -> RecipeDiff:
    """What changed from version ``from`` to version ``to`` (each version's latest content)."""
    versions = []
    for number in (before, after):
        row = get_recipe(session=session, code=code, version=number)
        if row is None:
            raise RecipeNotFound(
                f"there is no recipe {code} v{number}",
                {"recipe_code": code, "recipe_version": number},
            )
        versions.append(recipe_of(row))
    return diff_recipes(versions[0], versions[1])


@router.get("/{code}/{version}", response_model=RecipeDetail)
def recipe(code: str, version: Version, _: CurrentUser, session: ReadSessionDep) -> RecipeDetail:
    """One version: its content, its state now, and every signature of its life."""
    return recipe_detail(session=session, code=code, version=version)


@router.post(
    "/{code}/{version}/{action}",
    response_model=RecipeSignedResult,
    openapi_extra={"requestBody": {"content": {"application/json": {"schema": _BODIES}}}},
)
async def transition(
    code: str, version: Version, action: str, request: Request, actor: ActorDep, context: ContextDep
) -> RecipeSignedResult:
    """A signed transition of the version's life, as ``action`` says: ``submit`` (its author,
    meaning ``authored``), ``review`` (a supervisor or QA, ``reviewed``), ``return`` (sent back to
    draft with the ``reason``, ``rejected``), ``approve`` (QA, ``approved``, effective from
    ``effective_from`` or now), ``retire`` (QA, with the ``reason``, ``retired``)."""
    model = RECIPE_ACTIONS.get(action)
    if model is None:
        raise UnknownAction(
            f"there is no recipe action {action!r}; there are {', '.join(RECIPE_ACTIONS)}",
            {"action": action},
        )
    try:
        body = model.model_validate_json(await request.body() or b"{}")
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        ) from None
    return await sign_transition(context, actor, body, code=code, version=version)
