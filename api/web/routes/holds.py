"""The hold forms of a batch's page: place a hold, lift a person's hold (signed)."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse

from api.deps import CommandsDep, ContextDep
from api.web import holds
from api.web.pages import FormPostDep
from api.web.rendering import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.post("/batches/{batch_id}/hold", response_class=HTMLResponse)
async def place_hold(post: FormPostDep, commands: CommandsDep) -> Response:
    act = partial(holds.place, commands=commands, user=post.user, batch_id=post.batch_id)
    return await post.answer(act, done="hold_placed", anchor="holds")


@router.post("/batches/{batch_id}/hold/lift", response_class=HTMLResponse)
async def lift_hold(post: FormPostDep, context: ContextDep) -> Response:
    act = partial(holds.lift, context=context, user=post.user, batch_id=post.batch_id)
    return await post.answer(act, done="hold_lifted", anchor="holds")
