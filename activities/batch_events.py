"""Auditing a batch's deviations, timer breaches and review marks, each version once.

The audit log is where these live (``ebr.store.batch_events`` reads them back): each new version
is one entry with the whole object as ``new_value``, keyed so a retried or replayed write appends
it once.
"""

from __future__ import annotations

from sqlalchemy import Engine
from temporalio import activity

from ebr.audit import audit
from ebr.store.db import session_scope
from workflows.messages import PersistBreachInput, PersistDeviationInput, PersistReviewMarkInput

RULES_STATION = "workflow"
"""The station of what the batch's own rules did (a timer firing, a deviation opened by a value)."""


class BatchEventActivities:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @activity.defn(name="persist_deviation")
    def persist_deviation(self, request: PersistDeviationInput) -> None:
        dev = request.deviation
        key = f"{dev.batch_id}/deviation/{dev.id}/{request.action}"
        if request.action == "capa_attached":
            key += f"/{dev.capa_ref}"
        with session_scope(self._engine) as session:
            audit(
                session,
                event_key=key,
                at=request.at,
                actor=request.actor_id,
                station=request.station,
                action=request.action,
                entity="deviation",
                entity_id=dev.id,
                batch_id=dev.batch_id,
                new_value=dev.model_dump(mode="json"),
                reason=request.reason,
            )

    @activity.defn(name="persist_breach")
    def persist_breach(self, request: PersistBreachInput) -> None:
        deadline = request.breach.deadline
        with session_scope(self._engine) as session:
            audit(
                session,
                event_key=f"{request.batch_id}/timer/{deadline.timer_id}/breached",
                at=request.breach.at,
                actor="ebr",
                station=RULES_STATION,
                action="timer_breached",
                entity="timer",
                entity_id=deadline.timer_id,
                batch_id=request.batch_id,
                new_value=request.breach.model_dump(mode="json"),
                reason=deadline.description,
            )

    @activity.defn(name="persist_review_mark")
    def persist_review_mark(self, request: PersistReviewMarkInput) -> None:
        mark = request.mark
        with session_scope(self._engine) as session:
            audit(
                session,
                event_key=f"{request.batch_id}/review/{mark.exception_id}/reviewed",
                at=mark.at,
                actor=mark.by,
                station=request.station,
                action="exception_reviewed",
                entity="review",
                entity_id=mark.exception_id,
                batch_id=request.batch_id,
                new_value={
                    "mark": mark.model_dump(mode="json"),
                    "exception": request.exception.model_dump(mode="json"),
                },
                reason=mark.comment,
            )
