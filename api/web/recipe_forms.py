"""The recipe pages' forms, each the JSON route's request and the same function behind it: a draft
saved (``api.recipes.save_draft``: the recipe's workflow keeps it), a text dry-run
(``ebr.dry_run``, nothing kept), and a signed transition of a version's life
(``api.recipes.sign_transition``: submit, review, return, approve, retire).

A refused form comes back with its refusal in words: a recipe text's problems each at its place
and line (``api.web.recipe_problems``), a signed form's at its field (``api.web.forms.refused``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api.context import ApiContext
from api.errors import status_of
from api.recipe_schemas import RECIPE_ACTIONS, RecipeUpload
from api.recipes import save_draft, sign_transition
from api.refusals import UnknownAction
from api.web.forms import parse_form, shown_again, submit, text
from api.web.recipe_dry_runs import dry_run_shown
from api.web.recipe_pages import Draft, EditorPage
from api.web.recipe_problems import located
from api.web.session import WebUser
from api.web.views import FormState
from ebr.domain.recipe_loading import parse_recipe
from ebr.domain.refusals import RecipeInvalid, Refusal

__all__ = ["DONE", "EFFECTIVE_FROM", "Saved", "edited", "signed"]

# What a page says once its form was recorded (chosen by a fixed key, never echoed from the URL).
DONE = {
    "saved": "Draft saved.",
    "unchanged": "Draft saved before with this content: nothing changed.",
    "submit": "Submitted for review: signed (authored).",
    "review": "Review signed (reviewed).",
    "return": "Returned to draft with comments: signed (rejected).",
    "approve": "Approved: signed (approved).",
    "retire": "Retired: signed (retired).",
}
EFFECTIVE_FROM = "effective_from"


@dataclass(frozen=True)
class Saved:
    """A draft saved: where it is edited next, saying whether its content was new."""

    code: str
    version: int
    done: str

    @property
    def location(self) -> str:
        return f"/recipes/{self.code}/{self.version}/edit?done={self.done}"


async def edited(
    form: FormData, *, context: ApiContext, user: WebUser, draft: Draft | None
) -> EditorPage | Saved:
    """The editor's form: ``do=dry_run`` dry-runs the text as entered (nothing is kept) and shows
    the editor again with its report; anything else saves the text as a draft, through the
    recipe's workflow, and says where it is edited next, or shows the editor with the refusal."""
    # A browser sends a textarea's lines ended by CR LF (HTML's form encoding): kept as typed.
    source = text(form, "source").replace("\r\n", "\n")
    if text(form, "do") == "dry_run":
        try:
            recipe = await run_in_threadpool(parse_recipe, source)
        except Refusal as exc:
            return await _refused(exc, source, draft, "dry_run")
        return EditorPage(source=source, draft=draft, dry_run=await dry_run_shown(recipe))
    try:
        body = parse_form(RecipeUpload, form, data={"source": source})
        saved, created = await save_draft(context, user.actor, body.source)
    except Refusal as exc:
        return await _refused(exc, source, draft, "save")
    return Saved(saved.code, saved.version, "saved" if created else "unchanged")


async def signed(
    form: FormData, *, context: ApiContext, user: WebUser, code: str, number: int, action: str
) -> FormState | None:
    """A signed transition ``action`` of recipe ``code`` v``number``: parsed into the JSON
    route's request, the signer checked against the session, signed on the version's chain and
    recorded by its workflow; None once recorded, else the form with the refusal in words."""
    model = RECIPE_ACTIONS.get(action)
    if model is None:
        raise UnknownAction(f"there is no recipe action {action!r}", {"action": action})
    shown = shown_again(model, form, action=action, target=f"{code}/{number}")
    send = partial(sign_transition, context, user.actor, code=code, version=number)
    data = _moment(form) if EFFECTIVE_FROM in model.model_fields else None
    return await submit(model, form, send, user=user, shown=shown, data=data)


def _moment(form: FormData) -> dict[str, Any] | None:
    """The approval's effective date and time: the form's local time (a ``datetime-local``
    field, in the site's zone) with its zone, so the request model gets what the API takes."""
    entered = text(form, EFFECTIVE_FROM).strip()
    if not entered:
        return None
    try:
        moment = datetime.fromisoformat(entered)
    except ValueError:
        return {EFFECTIVE_FROM: entered}  # the model refuses it, in its words, at its field
    return {EFFECTIVE_FROM: moment if moment.tzinfo is not None else moment.astimezone()}


async def _refused(exc: Refusal, source: str, draft: Draft | None, asked: str) -> EditorPage:
    """The editor again with the refusal: an invalid text's problems each at its line (found off
    the event loop: a text of a megabyte takes a moment to read again)."""
    problems = []
    if isinstance(exc, RecipeInvalid):
        problems = await run_in_threadpool(located, source, exc.details)
    return EditorPage(
        source=source,
        draft=draft,
        problems=problems,
        refused=exc.message,
        asked=asked,
        status=status_of(exc),
    )
