"""Any kind of signed decision on a batch's subject, by its row in ``api.decisions.DECISIONS``.

``POST /api/batches/{batch_id}/decisions/{kind}/{subject_id}`` takes the kind's request (JSON)
and answers as the kind's own route does (``/release``, ``/reject``, ``/deviations/{id}/
disposition``, ``/hold/lift``); a new kind of decision is served here without a route of its own.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from api.decisions import DECISIONS, DecisionBody, decide, decision_result
from api.deps import ActorDep, ContextDep
from api.refusals import UnknownAction
from api.review_schemas import DecisionResult

router = APIRouter(prefix="/api/batches/{batch_id}/decisions", tags=["decisions"])

_BODIES: dict[str, Any] = {
    "oneOf": [kind.request.model_json_schema() for kind in DECISIONS.values()]
}


@router.post(
    "/{kind}/{subject_id:path}",
    response_model=DecisionResult,
    openapi_extra={"requestBody": {"content": {"application/json": {"schema": _BODIES}}}},
)
async def decision(
    batch_id: str,
    kind: str,
    subject_id: str,
    request: Request,
    actor: ActorDep,
    context: ContextDep,
) -> DecisionResult:
    """Take the decision ``kind`` (one of ``release``, ``reject``, ``classify``, ``disposition``, ``lift``,
    ``approve-redline``, ``reject-redline``) on the subject ``subject_id`` (the batch's id, a
    deviation's, a hold's, a redline's), signed as its request says. Whether it may be taken is the batch's workflow's to say."""
    known = DECISIONS.get(kind)
    if known is None:
        raise UnknownAction(
            f"there is no decision {kind!r}; there are {', '.join(DECISIONS)}", {"kind": kind}
        )
    body: DecisionBody = _parsed(known.request, await request.body())
    subject = known.subject(batch_id, subject_id)
    signed = await decide(context, actor, body, batch_id=batch_id, subject=subject)
    return decision_result(signed)


def _parsed(model: Any, raw: bytes) -> Any:
    """The body as the kind's request; its problems answered as any route's (422, each field)."""
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:  # not JSON, or not this kind's request
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        raise RequestValidationError(errors) from None
