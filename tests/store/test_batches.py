"""Batches: inserted once per batch id, numbers unique, progress projected, listed newest first."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from ebr.domain.batch import BatchHeader, BatchStatus
from ebr.store import Conflict, NotFound, StoreError, session_scope
from ebr.store.batches import (
    BatchRow,
    get_batch,
    header_of,
    insert_batch,
    list_batches,
    update_batch_progress,
)
from tests.store.builders import T0, header, recipe


def _insert(engine: Engine, batch: BatchHeader, steps_total: int = 2) -> tuple[BatchRow, bool]:
    with session_scope(engine) as session:
        return insert_batch(session=session, header=batch, steps_total=steps_total)


def test_insert_batch_is_idempotent(engine: Engine) -> None:
    row, created = _insert(engine, header())
    assert created
    assert (row.status, row.steps_done, row.steps_total) == ("in_progress", 0, 2)
    assert row.updated_at == T0 and row.completed_at is None
    again, created = _insert(engine, header())
    assert not created
    assert again.batch_id == "b-1"
    with session_scope(engine) as session:
        assert len(list_batches(session=session)) == 1


def test_a_retried_insert_after_progress_returns_the_progressed_row(engine: Engine) -> None:
    _insert(engine, header())
    with session_scope(engine) as session:
        update_batch_progress(
            session=session,
            batch_id="b-1",
            status=BatchStatus.IN_PROGRESS,
            steps_done=1,
            completed_at=None,
            at=T0 + timedelta(hours=1),
            seq=1,
        )
    row, created = _insert(engine, header())
    assert not created and row.steps_done == 1


def test_same_batch_id_with_another_header_is_a_conflict(engine: Engine) -> None:
    _insert(engine, header())
    with pytest.raises(Conflict, match="planned_value"):
        _insert(engine, header(planned="251"))
    with pytest.raises(Conflict, match="steps_total"):
        _insert(engine, header(), steps_total=3)


def test_a_batch_number_belongs_to_one_batch(engine: Engine) -> None:
    _insert(engine, header("b-1", number="2025-001"))
    with pytest.raises(Conflict) as caught:
        _insert(engine, header("b-2", number="2025-001"))
    assert caught.value.message == "batch number '2025-001' is already used by batch 'b-1'"
    with session_scope(engine) as session:
        assert get_batch(session=session, batch_id="b-2") is None


def test_update_progress_and_repeat_it(engine: Engine) -> None:
    _insert(engine, header())
    done_at = T0 + timedelta(hours=3)
    for _ in range(2):  # a retried activity sets the same values again
        with session_scope(engine) as session:
            row = update_batch_progress(
                session=session,
                batch_id="b-1",
                status=BatchStatus.AWAITING_REVIEW,
                steps_done=2,
                completed_at=done_at,
                at=done_at,
                seq=2,
            )
    assert (row.status, row.steps_done) == ("awaiting_review", 2)
    with session_scope(engine) as session:
        stored = get_batch(session=session, batch_id="b-1")
    assert stored is not None
    assert stored.status == BatchStatus.AWAITING_REVIEW
    assert stored.completed_at == done_at and stored.updated_at == done_at
    assert stored.created_at == T0


def test_update_progress_refuses_unknown_batches_and_impossible_counts(engine: Engine) -> None:
    _insert(engine, header())
    with pytest.raises(NotFound), session_scope(engine) as session:
        update_batch_progress(
            session=session,
            batch_id="nope",
            status=BatchStatus.ON_HOLD,
            steps_done=0,
            completed_at=None,
            at=T0,
            seq=3,
        )
    with pytest.raises(StoreError, match="cannot be done"), session_scope(engine) as session:
        update_batch_progress(
            session=session,
            batch_id="b-1",
            status=BatchStatus.IN_PROGRESS,
            steps_done=3,
            completed_at=None,
            at=T0,
            seq=4,
        )


def test_list_batches_filters_and_orders_newest_first(engine: Engine) -> None:
    other = recipe("B")
    for i, made_from in enumerate((recipe(), other, recipe(), other)):
        _insert(engine, header(f"b-{i}", at=T0 + timedelta(minutes=i), made_from=made_from))
    with session_scope(engine) as session:
        update_batch_progress(
            session=session,
            batch_id="b-2",
            status=BatchStatus.ON_HOLD,
            steps_done=1,
            completed_at=None,
            at=T0 + timedelta(hours=1),
            seq=5,
        )
    with session_scope(engine) as session:

        def ids(**filters: object) -> list[str]:
            return [b.batch_id for b in list_batches(session=session, **filters)]  # type: ignore[arg-type]

        assert ids() == ["b-3", "b-2", "b-1", "b-0"]
        assert ids(recipe_code="MIX-B") == ["b-3", "b-1"]
        assert ids(status=BatchStatus.ON_HOLD) == ["b-2"]
        assert ids(status=BatchStatus.IN_PROGRESS, recipe_code="MIX-A") == ["b-0"]
        assert ids(limit=2) == ["b-3", "b-2"]
        assert ids(limit=2, offset=2) == ["b-1", "b-0"]


@pytest.mark.parametrize("planned", ["250.000", "0.0001", "12345678901234567890.123456789", "1E+3"])
def test_planned_quantities_survive_exactly(engine: Engine, planned: str) -> None:
    batch = header(planned=planned)
    _insert(engine, batch)
    with session_scope(engine) as session:
        row = get_batch(session=session, batch_id="b-1")
    assert row is not None
    back = header_of(row)
    assert back == batch
    assert str(back.planned_quantity.value) == str(Decimal(planned))
    assert back.created_at.tzinfo is not None and back.created_at.utcoffset() == timedelta(0)


def test_an_older_progress_write_arriving_late_changes_nothing(engine: Engine) -> None:
    """An abandoned activity attempt that commits after a newer record must not roll progress back."""
    _insert(engine, header())
    with session_scope(engine) as session:
        update_batch_progress(
            session=session,
            batch_id="b-1",
            status=BatchStatus.AWAITING_REVIEW,
            steps_done=2,
            completed_at=T0 + timedelta(hours=2),
            at=T0 + timedelta(hours=2),
            seq=5,
        )
    with session_scope(engine) as session:
        row = update_batch_progress(
            session=session,
            batch_id="b-1",
            status=BatchStatus.IN_PROGRESS,
            steps_done=1,
            completed_at=None,
            at=T0 + timedelta(hours=1),
            seq=4,
        )
    assert (row.status, row.steps_done, row.progress_seq) == ("awaiting_review", 2, 5)
    with session_scope(engine) as session:
        stored = get_batch(session=session, batch_id="b-1")
    assert stored is not None and stored.status == "awaiting_review"
    assert stored.completed_at == T0 + timedelta(hours=2)
