"""The batch pages as the forms leave them, and the answer to a form posted on them.

The batch list, a batch and its review, each with a refused form shown again; a posted form is
answered with a redirect, or with its page again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api.decisions import DECISIONS
from api.deps import ContextDep
from api.web.recipe_views import recipe_choices, start_units
from api.web.rendering import page
from api.web.review_page import review_page
from api.web.session import WebUser, WebUserDep, require_csrf
from api.web.views import FormState, batch_list, batch_page
from ebr.domain.batch import BatchStatus
from ebr.domain.roles import Role

__all__ = [
    "DONE",
    "STARTING_ROLES",
    "FormPost",
    "FormPostDep",
    "batch_view",
    "list_view",
    "review_view",
]

STARTING_ROLES = (Role.SUPERVISOR,)

# What the page says once a form was recorded (chosen by a fixed key, never echoed from the URL).
DONE = {
    "deviation_opened": "Deviation opened.",
    "investigated": "Investigation recorded.",
    "hold_placed": "The batch is on hold.",
    "marked": "Exception marked reviewed.",
    **{name: kind.done for name, kind in DECISIONS.items()},
}


def _shown(
    request: Request, template: str, user: WebUser, state: FormState | None, **values: Any
) -> HTMLResponse:
    """``template`` with a refused form (its status), and what the last recorded form did."""
    done = DONE.get(request.query_params.get("done", ""), "")
    status = state.status if state else 200
    return page(request, template, user=user, status_code=status, state=state, done=done, **values)


def list_view(
    request: Request, engine: Engine, user: WebUser, *, status: str, state: FormState | None
) -> HTMLResponse:
    """The batches (of one status, if chosen), with the start form for those who may start one."""
    chosen = BatchStatus(status) if status in set(BatchStatus) else None
    choices = recipe_choices(engine=engine) if user.has(*STARTING_ROLES) else []
    return _shown(
        request,
        "batches.html",
        user,
        state,
        title="Batches",
        batches=batch_list(engine=engine, status=chosen),
        statuses=list(BatchStatus),
        chosen=chosen,
        recipes=choices,
        units=start_units(choices),
    )


def batch_view(
    request: Request, engine: Engine, user: WebUser, batch_id: str, state: FormState | None
) -> HTMLResponse:
    """The batch page as stored now, with a refused form shown again."""
    shown = batch_page(engine=engine, batch_id=batch_id)
    title = f"Batch {shown.batch.batch_number}"
    recorded = request.query_params.get("recorded", "")
    return _shown(request, "batch.html", user, state, title=title, shown=shown, recorded=recorded)


def review_view(
    request: Request, engine: Engine, user: WebUser, batch_id: str, state: FormState | None
) -> HTMLResponse:
    """The batch's review by exception as stored now, with a refused form shown again."""
    shown = review_page(engine=engine, batch_id=batch_id)
    title = f"Review of batch {shown.shown.batch.batch_number}"
    return _shown(request, "review.html", user, state, title=title, page=shown)


@dataclass(frozen=True)
class FormPost:
    """A form posted on a batch's pages (a FastAPI dependency, ``FormPostDep``): the batch, who
    posted it, and the store to show the page again from."""

    request: Request
    batch_id: str
    user: WebUser
    engine: Engine

    async def answer(
        self,
        act: Callable[[FormData], Awaitable[FormState | None]],
        *,
        done: str = "",
        recorded: str = "",
        anchor: str,
        on_review: bool = False,
    ) -> Response:
        """Check the form's CSRF token, do what it asks (``act``), and redirect to the page that
        shows it (saying it was ``done``, one of ``DONE``, or ``recorded`` a step), at ``anchor``;
        or show that page again, read on a worker thread, with the refusal."""
        form = await self.request.form()
        require_csrf(form, self.user)
        state = await act(form)
        where = f"/batches/{quote(self.batch_id)}{'/review' if on_review else ''}"
        said = f"recorded={quote(recorded)}" if recorded else f"done={done}"
        if state is None:
            return RedirectResponse(f"{where}?{said}#{quote(anchor)}", status_code=303)
        view = review_view if on_review else batch_view
        args = (self.request, self.engine, self.user, self.batch_id, state)
        return await run_in_threadpool(view, *args)


def form_post(request: Request, batch_id: str, user: WebUserDep, context: ContextDep) -> FormPost:
    return FormPost(request=request, batch_id=batch_id, user=user, engine=context.reads)


FormPostDep = Annotated[FormPost, Depends(form_post)]
