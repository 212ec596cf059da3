"""The recipe pages under change control: the library, the draft editor (save, dry run, submit),
a version's page with the signed forms its state and the viewer's roles allow (review, return,
approve, retire), its signature history, and the difference between two versions.

Every change goes through the functions the JSON routes use (``api.recipes``): the recipe's
workflow keeps drafts and records signatures; these pages only read the store. A form that is
recorded is answered with a redirect to the page that shows it; a refused one with its page again,
the refusal in words at its field.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from api.deps import ContextDep
from api.refusals import InvalidRequest
from api.web.recipe_dry_runs import dry_run_shown
from api.web.recipe_forms import DONE, Saved, edited, signed
from api.web.recipe_pages import (
    Draft,
    EditorPage,
    as_text,
    draft_page,
    new_source,
    version_page,
    writes_drafts,
)
from api.web.recipe_views import recipe_diff, recipe_library
from api.web.rendering import WebRoute, local_zone, page
from api.web.session import WebUser, WebUserDep, require_csrf
from api.web.views import FormState
from ebr.domain.recipe_versions import RecipeState
from ebr.domain.refusals import RecipeNotFound, Refusal

router = APIRouter(route_class=WebRoute, include_in_schema=False)

# A version's dry run is shown at once while it is reviewed, for its reviewer and approver; for the
# others when asked (``?dry_run=1``): a draft is dry-run from its editor as it is written.
DRY_RUN_STATES = (RecipeState.IN_REVIEW,)
From = Annotated[str, Query(alias="from", max_length=80)]


@router.get("/recipes", response_class=HTMLResponse)
def library(request: Request, context: ContextDep, user: WebUserDep) -> HTMLResponse:
    """Every version of every recipe, by code, with a "New draft" entry for authors."""
    codes = recipe_library(engine=context.reads)
    writer = writes_drafts(user.actor)
    return page(request, "recipes.html", user=user, title="Recipes", codes=codes, writer=writer)


@router.get("/recipes/new", response_class=HTMLResponse)
def new_draft(
    request: Request, context: ContextDep, user: WebUserDep, start: From = ""
) -> HTMLResponse:
    """An empty editor, or (``?from=CODE/N``) one holding version N as the next version."""
    source = new_source(engine=context.reads, actor=user.actor, start=start)
    return _editor(request, user, EditorPage(source=source))


@router.post("/recipes/new", response_class=HTMLResponse)
async def save_new(request: Request, context: ContextDep, user: WebUserDep) -> Response:
    return await _edited(request, context, user, None)


@router.get("/recipes/{code}/diff", response_class=HTMLResponse)
def diff(
    code: str,
    request: Request,
    context: ContextDep,
    user: WebUserDep,
    before: From = "",
    after: Annotated[str, Query(alias="to", max_length=20)] = "",
) -> HTMLResponse:
    """What changed from version ``from`` to version ``to`` of ``code``."""
    numbers = [_number(code, before, "from"), _number(code, after, "to")]
    shown = recipe_diff(engine=context.reads, code=code, before=numbers[0], after=numbers[1])
    title = f"{code}: v{numbers[0]} to v{numbers[1]}"
    return _render(request, "recipe_diff.html", user, 200, title=title, diff=shown)


@router.get("/recipes/{code}/{version}/edit", response_class=HTMLResponse)
def edit(
    code: str, version: str, request: Request, context: ContextDep, user: WebUserDep
) -> HTMLResponse:
    """A stored draft's editor: authors only, drafts only (refused in words otherwise)."""
    number = _number(code, version)
    draft = draft_page(engine=context.reads, code=code, number=number, actor=user.actor)
    return _editor(request, user, EditorPage(source=draft.page.source, draft=draft))


@router.post("/recipes/{code}/{version}/edit", response_class=HTMLResponse)
async def save_edit(
    code: str, version: str, request: Request, context: ContextDep, user: WebUserDep
) -> Response:
    number = _number(code, version)
    draft = await run_in_threadpool(
        draft_page, engine=context.reads, code=code, number=number, actor=user.actor
    )
    return await _edited(request, context, user, draft)


@router.get("/recipes/{code}/{version}", response_class=HTMLResponse)
async def version(
    code: str,
    version: str,
    request: Request,
    context: ContextDep,
    user: WebUserDep,
    dry_run: Annotated[str, Query(max_length=1)] = "",
) -> HTMLResponse:
    """One version: its content, state, signature history, the difference from the version
    effective now, its dry run, and the signed forms the viewer may use."""
    number = _number(code, version)
    return await _version_view(request, context, user, code, number, None, dry_run == "1")


@router.post("/recipes/{code}/{version}/{action}", response_class=HTMLResponse)
async def transition(
    code: str, version: str, action: str, request: Request, context: ContextDep, user: WebUserDep
) -> Response:
    """A signed transition (``submit``, ``review``, ``return``, ``approve``, ``retire``): the
    version's page once recorded, or the form again with the refusal (submit: the editor)."""
    number = _number(code, version)
    form = await request.form()
    require_csrf(form, user)
    state = await signed(form, context=context, user=user, code=code, number=number, action=action)
    if state is None:
        where = f"/recipes/{quote(code)}/{number}?done={action}"
        return RedirectResponse(where, status_code=303)
    if action == "submit":
        try:
            draft = await run_in_threadpool(
                draft_page, engine=context.reads, code=code, number=number, actor=user.actor
            )
        except Refusal:
            pass  # not this person's draft to edit (a forged form): its version page says so
        else:
            editor = EditorPage(source=draft.page.source, draft=draft, state=state)
            return _editor(request, user, editor)
    return await _version_view(request, context, user, code, number, state, False)


async def _version_view(
    request: Request,
    context: ContextDep,
    user: WebUser,
    code: str,
    number: int,
    state: FormState | None,
    asked: bool,
) -> HTMLResponse:
    """The version's page (with the refused ``state``, if any), its dry run run or recalled
    when its state wants it or it was ``asked`` for."""
    shown = await run_in_threadpool(
        version_page, engine=context.reads, code=code, number=number, actor=user.actor
    )
    if shown.state in DRY_RUN_STATES or asked:
        shown = replace(shown, dry_run=await dry_run_shown(shown.recipe))
    s = shown.summary
    return _render(
        request,
        "recipe.html",
        user,
        state.status if state else 200,
        title=f"Recipe {s.code} v{s.version}",
        shown=shown,
        state=state,
    )


async def _edited(
    request: Request, context: ContextDep, user: WebUser, draft: Draft | None
) -> Response:
    form = await request.form()
    require_csrf(form, user)
    answer = await edited(form, context=context, user=user, draft=draft)
    if isinstance(answer, Saved):
        return RedirectResponse(answer.location, status_code=303)
    return _editor(request, user, answer)


def _editor(request: Request, user: WebUser, editor: EditorPage) -> HTMLResponse:
    draft = editor.draft.page.summary if editor.draft else None
    title = f"Edit {draft.code} v{draft.version}" if draft else "New recipe draft"
    status = editor.state.status if editor.state else editor.status
    return _render(request, "recipe_editor.html", user, status, title=title, editor=editor)


def _render(
    request: Request, template: str, user: WebUser, status: int, **values: Any
) -> HTMLResponse:
    done = DONE.get(request.query_params.get("done", ""), "")
    return page(
        request,
        template,
        user=user,
        status_code=status,
        done=done,
        zone=local_zone(),
        as_text=as_text,
        **values,
    )


def _number(code: str, version: str, name: str = "") -> int:
    """A version number from the address; a missing or malformed one is refused in words."""
    if version.isdigit() and 0 < len(version) < 10:
        return int(version)
    if name:
        raise InvalidRequest(
            f"choose the versions to compare: ?from=N&to=M (version numbers of {code})",
            {"field": name},
        )
    raise RecipeNotFound(f"there is no recipe {code} v{version}")
