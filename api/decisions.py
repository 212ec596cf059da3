"""A signed decision (release, rejection, disposition, hold lift) as the API answers it."""

from __future__ import annotations

from api.schemas import DecisionResult
from api.signing import Signed


def decision_result(signed: Signed) -> DecisionResult:
    decided = signed.recorded
    return DecisionResult(
        record=signed.view,
        batch_status=decided.batch_status,
        deviation=decided.deviation,
        hold=decided.hold,
        reopened=list(decided.reopened),
    )
