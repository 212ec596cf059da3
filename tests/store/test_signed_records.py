"""Signed step records: payload, hashes and signature stored verbatim, part of the record's identity."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from sqlalchemy import Engine

from ebr.domain.records import Meaning, StepRecord
from ebr.store import Conflict, StoreError, session_scope
from ebr.store.batches import insert_batch
from ebr.store.records import (
    SignedPayload,
    StepRecordRow,
    insert_step_record,
    latest_record_hash,
    list_step_records,
    record_of,
)
from tests.store.builders import header, weighing
from tests.store.evidence import GENESIS, signed


@pytest.fixture
def batch(engine: Engine) -> str:
    with session_scope(engine) as session:
        insert_batch(session=session, header=header("b-1"), steps_total=2)
    return "b-1"


def _insert(
    engine: Engine,
    record: StepRecord,
    sealed: SignedPayload | None = None,
    corrects: str | None = None,
) -> tuple[StepRecordRow, bool]:
    with session_scope(engine) as session:
        return insert_step_record(session=session, record=record, signed=sealed, corrects=corrects)


def _correction(batch_id: str, seq: int) -> StepRecord:
    base = weighing(batch_id, seq=seq, mass="100.10")
    return base.model_copy(
        update={
            "record_id": f"{batch_id}/weigh-sugar/1/corrected/{seq}",
            "meaning": Meaning.CORRECTED,
        }
    )


def test_a_signed_record_keeps_its_evidence_verbatim(engine: Engine, batch: str) -> None:
    sealed = signed({"seq": 1, "note": "é ✓"})
    row, created = _insert(engine, weighing(batch), sealed)
    assert created
    with session_scope(engine) as session:
        (stored,) = list_step_records(session=session, batch_id=batch)
    assert {f.name: getattr(stored, f.name) for f in dataclasses.fields(SignedPayload)} == (
        dataclasses.asdict(sealed)
    )
    assert stored.corrects is None
    assert record_of(stored) == weighing(batch)


def test_an_unsigned_record_still_stores(engine: Engine, batch: str) -> None:
    row, created = _insert(engine, weighing(batch))
    assert created and (row.payload, row.record_hash, row.signature, row.key_id) == (None,) * 4


def test_a_retry_with_the_same_signature_is_one_row(engine: Engine, batch: str) -> None:
    sealed = signed({"seq": 1})
    _insert(engine, weighing(batch), sealed)
    again, created = _insert(engine, weighing(batch), sealed)
    assert not created and again.signature == sealed.signature


@pytest.mark.parametrize(
    "other",
    [
        {"sealed": signed({"seq": 1, "other": True})},
        {"sealed": signed({"seq": 1}, key_id="k-olga-2")},
        {"sealed": signed({"seq": 1}, prev_hash="1" * 64)},
        {"sealed": None},
        {"corrects": "b-1/weigh-sugar/1/performed"},
    ],
)
def test_other_evidence_under_the_same_record_id_is_a_conflict(
    engine: Engine, batch: str, other: dict[str, Any]
) -> None:
    sealed = signed({"seq": 1})
    _insert(engine, weighing(batch), sealed)
    with pytest.raises(Conflict):
        _insert(engine, weighing(batch), **{"sealed": sealed, **other})
    with session_scope(engine) as session:
        (stored,) = list_step_records(session=session, batch_id=batch)
    assert stored.payload == sealed.payload and stored.corrects is None


def test_a_record_hash_that_is_not_the_payload_s_is_refused(engine: Engine, batch: str) -> None:
    sealed = signed({"seq": 1})
    for wrong in ("0" * 64, sealed.record_hash.upper()):
        with pytest.raises(StoreError, match="record_hash is not the SHA-256 of its payload"):
            _insert(engine, weighing(batch), dataclasses.replace(sealed, record_hash=wrong))
    with session_scope(engine) as session:
        assert list_step_records(session=session, batch_id=batch) == []


def test_a_correction_points_at_the_record_it_corrects(engine: Engine, batch: str) -> None:
    original, _ = _insert(engine, weighing(batch, seq=1), signed({"seq": 1}))
    first = signed({"seq": 1})
    fix = signed({"seq": 2}, prev_hash=first.record_hash)
    row, _ = _insert(engine, _correction(batch, 2), fix, corrects=original.record_id)
    assert (row.corrects, row.prev_hash) == ("b-1/weigh-sugar/1/performed", first.record_hash)


def test_latest_record_hash_is_the_chain_head(engine: Engine, batch: str) -> None:
    with session_scope(engine) as session:
        assert latest_record_hash(session=session, batch_id=batch) == (0, None)
    first = signed({"seq": 1}, prev_hash=GENESIS)
    _insert(engine, weighing(batch, seq=1), first)
    second = signed({"seq": 2}, prev_hash=first.record_hash)
    _insert(engine, _correction(batch, 2), second, corrects="b-1/weigh-sugar/1/performed")
    with session_scope(engine) as session:
        assert latest_record_hash(session=session, batch_id=batch) == (2, second.record_hash)
        assert latest_record_hash(session=session, batch_id="other") == (0, None)
    _insert(engine, _correction(batch, 3))  # unsigned
    with session_scope(engine) as session:
        assert latest_record_hash(session=session, batch_id=batch) == (3, None)
