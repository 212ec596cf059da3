"""The pages' form for any kind of signed decision (``api.decisions.DECISIONS``): release,
rejection, a deviation's disposition, a hold's lift, and whatever kind is added to the table.

``POST /batches/{batch_id}/decisions/{kind}/{subject_id}``: the form parsed into the kind's
request (the JSON route's), signed, decided by the batch; the page that shows it, or the form again
with the refusal in words.
"""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from api.decisions import DECISIONS, decide
from api.deps import ContextDep
from api.refusals import UnknownAction
from api.web.forms import shown_again, submit
from api.web.pages import FormPostDep
from api.web.rendering import WebRoute
from api.web.views import FormState

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.post("/batches/{batch_id}/decisions/{kind}/{subject_id:path}", response_class=HTMLResponse)
async def decision(post: FormPostDep, kind: str, subject_id: str, context: ContextDep) -> Response:
    """QA's signed decision ``kind`` on ``subject_id`` (the batch, a deviation, a hold)."""
    known = DECISIONS.get(kind)
    if known is None:
        raise UnknownAction(f"there is no decision {kind!r}")
    subject = known.subject(post.batch_id, subject_id)
    send = partial(decide, context, post.user.actor, batch_id=post.batch_id, subject=subject)
    target = "batch" if known.on_review else subject_id

    async def act(form: FormData) -> FormState | None:
        shown = shown_again(known.request, form, action=kind, target=target)
        return await submit(known.request, form, send, user=post.user, shown=shown)

    anchor = known.anchor.format(id=subject_id)
    return await post.answer(act, done=kind, anchor=anchor, on_review=known.on_review)
