"""Signed decisions on a batch's subjects, taken from their requests: one table of the kinds of
decision, the one call the decision routes and forms make, and its answer.

A kind of decision is a row of ``DECISIONS``: the request it is taken from (which names the
meaning it is signed with), the subject it decides (from the batch and the id in the URL), and what
the page says once it is recorded. The generic routes (``POST /api/batches/{id}/decisions/{kind}/
{subject}`` and the page's form of the same path) serve every row; the workflow part that signs
the subject's kind decides whether it may be taken (``workflows.batch_workflow``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel

from api.context import ApiContext
from api.deviation_schemas import DeviationClassification, DeviationDisposition
from api.hold_schemas import HoldLift
from api.redline_schemas import RedlineApproval, RedlineRejection
from api.review_schemas import BatchRejection, BatchRelease, DecisionResult
from api.schemas import SignatureBody
from api.signing import Signed, sign_decision
from ebr.domain.batch import Actor
from ebr.domain.meanings import Meaning
from ebr.domain.subjects import (
    Subject,
    batch_subject,
    deviation_subject,
    hold_subject,
    redline_subject,
)
from workflows.messages import Recorded

__all__ = ["DECISIONS", "DecisionBody", "DecisionKind", "decide", "decision_result"]


class DecisionBody(Protocol):
    """What every decision's request carries: the meaning it is signed with, the signature;
    ``comment``, ``reason`` and ``detail()`` where the decision has them."""

    meaning: ClassVar[Meaning]
    signature: SignatureBody


@dataclass(frozen=True)
class DecisionKind:
    """One kind of signed decision on one of a batch's subjects."""

    request: type[BaseModel]
    subject: Callable[[str, str], Subject]  # (batch id, the subject's id in the URL)
    done: str  # what the page says once it is recorded
    anchor: str  # where on its page it is shown ("{id}": the subject's id)
    on_review: bool = False  # shown on the review page (else the batch page)


DECISIONS: dict[str, DecisionKind] = {
    "release": DecisionKind(
        BatchRelease,
        lambda batch, _: batch_subject(batch),
        "Batch released: signed and recorded.",
        "decision",
        on_review=True,
    ),
    "reject": DecisionKind(
        BatchRejection,
        lambda batch, _: batch_subject(batch),
        "Batch rejected: signed and recorded.",
        "decision",
        on_review=True,
    ),
    "classify": DecisionKind(
        DeviationClassification,
        lambda _, deviation: deviation_subject(deviation),
        "Classification signed and recorded.",
        "dev-{id}",
    ),
    "disposition": DecisionKind(
        DeviationDisposition,
        lambda _, deviation: deviation_subject(deviation),
        "Disposition signed and recorded.",
        "dev-{id}",
    ),
    "lift": DecisionKind(
        HoldLift, lambda _, hold: hold_subject(hold), "Hold lifted: signed and recorded.", "holds"
    ),
    "approve-redline": DecisionKind(
        RedlineApproval,
        lambda _, redline: redline_subject(redline),
        "Redline approved: signed and recorded. The batch runs it from its next step on.",
        "redline-{id}",
    ),
    "reject-redline": DecisionKind(
        RedlineRejection,
        lambda _, redline: redline_subject(redline),
        "Redline rejected: signed and recorded.",
        "redline-{id}",
    ),
}


async def decide(
    context: ApiContext, actor: Actor, body: DecisionBody, *, batch_id: str, subject: Subject
) -> Signed[Recorded]:
    """Sign the decision ``body`` asks for on ``subject`` (``ebr.domain.subjects``) with its
    request's meaning, and have the batch decide it (``api.signing.sign_decision``)."""
    detail: Callable[[], dict[str, Any]] | None = getattr(body, "detail", None)
    return await sign_decision(
        context=context,
        actor=actor,
        batch_id=batch_id,
        subject=subject,
        meaning=body.meaning,
        signature=body.signature,
        comment=getattr(body, "comment", None),
        reason=getattr(body, "reason", None),
        detail=detail() if detail is not None else None,
    )


def decision_result(signed: Signed[Recorded]) -> DecisionResult:
    """The decision's answer: what the workflow decided, with its record as stored."""
    decided = signed.recorded
    return DecisionResult(
        record=signed.view,
        batch_status=decided.batch_status,
        deviation=decided.deviation,
        hold=decided.hold,
        reopened=list(decided.reopened),
        redline=decided.redline,
    )
