"""Activities that write a batch's row and its holds to the record store, idempotently.

They run as local activities: a store write is short, and a local activity saves the round trip
through the Temporal server that a regular activity costs. Each write is keyed (batch id, record
id), so a retry after a crash, or a replay, finds the row already there and writes nothing twice.
"""

from __future__ import annotations

from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from ebr.audit import audit
from ebr.store.batches import get_batch, insert_batch, set_batch_status
from ebr.store.db import session_scope
from ebr.store.errors import Conflict
from workflows.messages import CreateBatchInput, PersistHoldInput


class BatchStoreActivities:
    """Holds the store's engine; one instance is registered with each worker."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @activity.defn(name="create_batch")
    def create_batch(self, request: CreateBatchInput) -> None:
        header = request.header
        with session_scope(self._engine) as session:
            try:
                insert_batch(session=session, header=header, steps_total=request.steps_total)
            except Conflict as exc:
                raise ApplicationError(
                    exc.message, type="store_conflict", non_retryable=True
                ) from exc
            audit(
                session,
                event_key=f"{header.batch_id}/created",
                at=header.created_at,
                actor=header.created_by,
                station=request.station,
                action="batch_created",
                entity="batch",
                entity_id=header.batch_id,
                batch_id=header.batch_id,
                new_value=header.model_dump(mode="json"),
            )

    @activity.defn(name="persist_hold")
    def persist_hold(self, request: PersistHoldInput) -> None:
        """Audit a hold placed or lifted and set the batch's status, in one transaction.

        The audit entry is keyed by the hold id and the action, so a retry or a replay appends it
        once; the status write is idempotent.
        """
        hold = request.hold
        placed = request.action == "hold_placed"
        with session_scope(self._engine) as session:
            audit(
                session,
                event_key=f"{hold.batch_id}/hold/{hold.hold_id}/{'placed' if placed else 'lifted'}",
                at=request.at,
                actor=request.actor.user_id,
                station=request.actor.station,
                action=request.action,
                entity="hold",
                entity_id=hold.hold_id,
                batch_id=hold.batch_id,
                new_value=hold.model_dump(mode="json"),
                reason=hold.reason if placed else hold.lift_reason,
            )
            before = get_batch(session=session, batch_id=hold.batch_id)
            status_before = before.status if before is not None else None
            set_batch_status(
                session=session, batch_id=hold.batch_id, status=request.status, at=request.at
            )
            if status_before is not None and status_before != request.status.value:
                audit(  # every change of the batch row is audited; ebr verify holds it to this
                    session,
                    event_key=f"{hold.batch_id}/status/{request.action}/{hold.hold_id}",
                    at=request.at,
                    actor=request.actor.user_id,
                    station=request.actor.station,
                    action="status_changed",
                    entity="batch",
                    entity_id=hold.batch_id,
                    batch_id=hold.batch_id,
                    old_value=status_before,
                    new_value=request.status.value,
                )
