"""The deviation forms' routes: open, investigate (the classification and the disposition are
signed decisions: ``api.web.routes.decisions``)."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse

from api.deps import CommandsDep, DeviationAt
from api.refusals import UnknownAction
from api.web import deviations
from api.web.pages import FormPostDep
from api.web.rendering import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)

DEVIATION = "/batches/{batch_id}/deviations/{deviation_id}"
# What the page says once each stage's form was recorded (``api.web.pages.DONE``).
STAGE_DONE = {"investigate": "investigated"}


@router.post("/batches/{batch_id}/deviations", response_class=HTMLResponse)
async def open_deviation(post: FormPostDep, commands: CommandsDep) -> Response:
    """Anyone opens a deviation by hand."""
    user, batch_id = post.user, post.batch_id
    act = partial(deviations.open_deviation, commands=commands, user=user, batch_id=batch_id)
    return await post.answer(act, done="deviation_opened", anchor="deviations")


@router.post(f"{DEVIATION}/{{action}}", response_class=HTMLResponse)
async def stage(post: FormPostDep, at: DeviationAt, action: str, commands: CommandsDep) -> Response:
    """Investigate one deviation (a supervisor)."""
    if action not in deviations.STAGES:
        raise UnknownAction(f"there is no deviation action {action!r}")
    act = partial(deviations.change, commands=commands, user=post.user, at=at, action=action)
    return await post.answer(act, done=STAGE_DONE[action], anchor=f"dev-{at.deviation_id}")
