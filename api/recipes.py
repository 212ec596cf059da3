"""Master recipes from the API's side: each version as the store shows it (its latest content,
its state now, its signatures), a draft saved by its workflow, and a signed transition of its
life (``api.signing.sign_on_head`` on the version's own chain)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from sqlmodel import Session

from api.commands import Commands
from api.context import ApiContext
from api.recipe_schemas import RecipeDetail, RecipeSignedResult, RecipeSummary
from api.schemas import SignatureBody
from api.signing import Content, Target, sign_on_head
from ebr.domain.batch import Actor
from ebr.domain.meanings import Meaning
from ebr.domain.recipe_loading import parse_recipe
from ebr.domain.recipe_versions import RecipeVersion, recipe_chain, recipe_subject
from ebr.domain.refusals import RecipeNotFound
from ebr.store.db import session_scope
from ebr.store.recipe_versions import recipe_versions
from ebr.store.recipes import RecipeRow, get_recipe, list_recipes, recipe_of
from workflows.messages import SignedAction
from workflows.recipe_messages import DraftSaved, RecipeSigned, SaveDraftInput
from workflows.recipe_workflow import RecipeWorkflow

__all__ = ["recipe_detail", "recipe_summaries", "save_draft", "sign_transition", "summary"]


def summary(row: RecipeRow, version: RecipeVersion, *, now: datetime) -> RecipeSummary:
    return RecipeSummary(
        **row.model_dump(include=set(RecipeSummary.model_fields) - {"state", "author"}),
        state=version.state_at(now),
        author=version.author,
        effective_from=version.effective_from if version.approved else None,
        superseded_at=version.superseded_at,
    )


def recipe_summaries(*, session: Session, code: str | None = None) -> list[RecipeSummary]:
    """Every recipe version, latest content first in mind: ordered by code, then version."""
    now = datetime.now(UTC)
    rows = list_recipes(session=session, code=code)
    versions = {
        (v.code, v.version): v
        for found in {row.code for row in rows}
        for v in recipe_versions(session=session, code=found)
    }
    return [summary(row, versions[(row.code, row.version)], now=now) for row in rows]


def recipe_detail(*, session: Session, code: str, version: int) -> RecipeDetail:
    row = get_recipe(session=session, code=code, version=version)
    known = {v.version: v for v in recipe_versions(session=session, code=code)}
    if row is None or version not in known:
        raise RecipeNotFound(
            f"there is no recipe {code} v{version}",
            {"recipe_code": code, "recipe_version": version},
        )
    shown = known[version]
    return RecipeDetail(
        **summary(row, shown, now=datetime.now(UTC)).model_dump(),
        recipe=recipe_of(row),
        source=row.source,
        signatures=list(shown.signatures),
    )


async def save_draft(context: ApiContext, actor: Actor, source: str) -> tuple[RecipeSummary, bool]:
    """Parse ``source`` (off the event loop: a big document must not stall other requests) and
    have the recipe code's workflow keep it as the version's draft; the version, and whether a
    new revision was made."""
    recipe = await run_in_threadpool(parse_recipe, source)
    saved: DraftSaved = await Commands.of(context).recipe_update(
        recipe.code,
        RecipeWorkflow.save_draft,
        SaveDraftInput(actor=actor, recipe=recipe, source=source),
    )
    with session_scope(context.reads) as session:
        row = get_recipe(session=session, code=recipe.code, version=recipe.version)
    assert row is not None, "the workflow answers once the draft is stored"
    return summary(row, saved.version, now=datetime.now(UTC)), saved.created


async def sign_transition(
    context: ApiContext, actor: Actor, body: BaseModel, *, code: str, version: int
) -> RecipeSignedResult:
    """Sign the transition ``body`` asks for (its class names the meaning) on the version's
    chain, over the content the version holds now, and have the recipe's workflow record it."""
    with session_scope(context.reads) as session:
        current = {v.version: v for v in recipe_versions(session=session, code=code)}.get(version)
    if current is None:
        raise RecipeNotFound(
            f"there is no recipe {code} v{version}",
            {"recipe_code": code, "recipe_version": version},
        )

    async def send(action: SignedAction) -> RecipeSigned:
        return await Commands.of(context).recipe_update(code, RecipeWorkflow.sign, action)

    meaning: Meaning = getattr(body, "meaning")  # noqa: B009 (a class constant of each request)
    signature: SignatureBody = getattr(body, "signature")  # noqa: B009
    detail: Any = getattr(body, "detail", None)
    content = Content(
        subject=recipe_subject(code, version),
        meaning=meaning,
        comment=getattr(body, "comment", None),
        reason=getattr(body, "reason", None),
        detail=detail() if detail is not None else None,
    )
    target = Target(chain=recipe_chain(code, version), recipe_hash=current.content_hash, send=send)
    signed = await sign_on_head(context, actor, target, content, signature)
    with session_scope(context.reads) as session:
        row = get_recipe(session=session, code=code, version=version)
    assert row is not None
    after = signed.recorded.version
    return RecipeSignedResult(
        record=signed.view, version=summary(row, after, now=datetime.now(UTC))
    )
