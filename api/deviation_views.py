"""Reading a batch's deviations from the record store: each one's latest version, as audited."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session

from api.batch_views import stored_batch
from ebr.domain.deviations import Deviation
from ebr.domain.refusals import UnknownDeviation
from ebr.store.batch_events import load_batch_events
from ebr.store.db import session_scope


@dataclass(frozen=True)
class DeviationPath:
    """A deviation of a batch, as a route's path names it (``.../{batch_id}/deviations/{deviation_id}``)."""

    batch_id: str
    deviation_id: str


def batch_deviations(*, session: Session, batch_id: str) -> list[Deviation]:
    """Every deviation of the batch, latest version of each, in the order they were opened;
    ``batch_not_found`` for an unknown batch."""
    stored_batch(session=session, batch_id=batch_id)
    return load_batch_events(session=session, batch_id=batch_id).deviations


def stored_deviation(*, engine: Engine, batch_id: str, deviation_id: str) -> Deviation:
    """The deviation's latest version as audited; ``batch_not_found`` or ``unknown_deviation``
    when the batch does not exist or has no such deviation."""
    with session_scope(engine) as session:
        deviations = batch_deviations(session=session, batch_id=batch_id)
    found = next((d for d in deviations if d.id == deviation_id), None)
    if found is None:
        raise UnknownDeviation(
            f"batch {batch_id} has no deviation {deviation_id!r}", {"deviation_id": deviation_id}
        )
    return found
