"""The hold form of a batch's page: place a hold (a lift is a decision: ``api.web.routes.decisions``)."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse

from api.deps import CommandsDep
from api.web import holds
from api.web.pages import FormPostDep
from api.web.rendering import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.post("/batches/{batch_id}/hold", response_class=HTMLResponse)
async def place_hold(post: FormPostDep, commands: CommandsDep) -> Response:
    act = partial(holds.place, commands=commands, user=post.user, batch_id=post.batch_id)
    return await post.answer(act, done="hold_placed", anchor="holds")
