"""Signed records in their chains: appended once per record id, never replaced, each chain kept
apart from the others, safe under retries and races."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from ebr.domain.meanings import Meaning
from ebr.domain.signed_records import SignedRecord, step_record_id
from ebr.domain.subjects import Chain, ChainKind, batch_chain
from ebr.store import Conflict, NotFound, StoreError, session_scope
from ebr.store.batches import insert_batch
from ebr.store.signed_records import (
    SignedRecordRow,
    chain_head,
    insert_signed_record,
    list_batch_records,
    list_chain,
    record_of,
)
from tests.store.builders import T0, header, lot_release, weighing
from tests.store.evidence import signed
from tests.store.tamper import drop_guards


@pytest.fixture
def batch(engine: Engine) -> str:
    with session_scope(engine) as session:
        insert_batch(session=session, header=header("b-1"), steps_total=2)
    return "b-1"


def _insert(engine: Engine, record: SignedRecord) -> tuple[SignedRecordRow, bool]:
    """Insert with evidence that depends on the record id alone, so a retry brings the same."""
    with session_scope(engine) as session:
        evidence = signed({"record_id": record.record_id})
        return insert_signed_record(session=session, record=record, evidence=evidence)


def _count(engine: Engine) -> int:
    with engine.connect() as connection:
        query = select(func.count()).select_from(SignedRecordRow)
        return int(connection.execute(query).scalar_one())


def test_the_same_record_twice_is_one_row(engine: Engine, batch: str) -> None:
    first, created = _insert(engine, weighing(batch))
    assert created
    again, created = _insert(engine, weighing(batch))
    assert not created
    assert again.record_id == first.record_id == "b-1/weigh-sugar/1/performed"
    assert _count(engine) == 1


def test_record_of_round_trips_exactly(engine: Engine, batch: str) -> None:
    record = weighing(batch, mass="100.0200")
    _insert(engine, record)
    with session_scope(engine) as session:
        (row,) = list_batch_records(session=session, batch_id=batch)
    back = record_of(row)
    assert back == record
    assert back.values[0].value == "100.0200"
    assert back.recorded_at == T0 + timedelta(minutes=5)
    assert back.recorded_at.utcoffset() == timedelta(0)
    assert (row.chain_kind, row.chain_id, row.batch_id) == ("batch", batch, batch)
    assert (row.subject_kind, row.subject_id) == ("batch-step", "weigh-sugar")


def test_a_record_of_a_lot_s_chain_belongs_to_no_batch(engine: Engine, batch: str) -> None:
    record = lot_release("LOT-1")
    row, created = _insert(engine, record)
    assert created and row.batch_id is None and row.record_id == "lot:LOT-1/1"
    with session_scope(engine) as session:
        (stored,) = list_chain(session=session, chain=record.chain)
        assert record_of(stored) == record and record_of(stored).detail == {"status": "released"}
        assert list_batch_records(session=session, batch_id=batch) == []


@pytest.mark.parametrize(
    "change",
    [
        {"values": ()},
        {"comment": "re-weighed"},
        {"recorded_at": T0 + timedelta(minutes=6)},
        {"user_id": "omar"},
        {"seq": 2},
        {"reason": "re-weighed"},
        {"detail": {"decision": "accept"}},
    ],
)
def test_changed_content_under_the_same_record_id_is_a_conflict(
    engine: Engine, batch: str, change: dict[str, Any]
) -> None:
    _insert(engine, weighing(batch))
    with pytest.raises(Conflict) as caught:
        _insert(engine, weighing(batch).model_copy(update=change))
    assert caught.value.details["fields"] == list(change)
    with session_scope(engine) as session:
        (row,) = list_batch_records(session=session, batch_id=batch)
    assert record_of(row) == weighing(batch)


def test_another_record_taking_a_used_seq_is_a_conflict(engine: Engine, batch: str) -> None:
    _insert(engine, weighing(batch, seq=1))
    verify = weighing(batch, seq=1).model_copy(
        update={
            "record_id": step_record_id(batch, "weigh-sugar", 1, Meaning.VERIFIED),
            "meaning": Meaning.VERIFIED,
        }
    )
    with pytest.raises(Conflict, match="seq 1 of batch b-1 is already record"):
        _insert(engine, verify)
    _insert(engine, verify.model_copy(update={"seq": 2}))
    with session_scope(engine) as session:
        listed = [(r.seq, r.meaning) for r in list_batch_records(session=session, batch_id=batch)]
    assert listed == [(1, "performed"), (2, "verified")]


def test_each_chain_has_its_own_seqs(engine: Engine, batch: str) -> None:
    """Seq 1 of a batch, of a lot and of another lot are three places, not one."""
    for record in (weighing(batch), lot_release("LOT-1"), lot_release("LOT-2")):
        assert _insert(engine, record)[1]
    with session_scope(engine) as session:
        for chain in (batch_chain(batch), Chain(kind=ChainKind.LOT, id="LOT-2")):
            (row,) = list_chain(session=session, chain=chain)
            assert chain_head(session=session, chain=chain) == (1, row.record_hash)
        nobody = Chain(kind=ChainKind.ACCOUNT, id="olga")
        assert chain_head(session=session, chain=nobody) == (0, None)


def test_a_record_for_an_unknown_batch_is_refused(engine: Engine) -> None:
    with pytest.raises(NotFound, match="batch 'ghost' does not exist"):
        _insert(engine, weighing("ghost"))


def test_list_batch_records_orders_by_seq_and_keeps_chains_apart(
    engine: Engine, batch: str
) -> None:
    with session_scope(engine) as session:
        insert_batch(session=session, header=header("b-2"), steps_total=2)
    for seq in (3, 1, 2):
        record = weighing(batch, seq=seq)
        _insert(engine, record.model_copy(update={"record_id": f"{record.record_id}#{seq}"}))
    _insert(engine, weighing("b-2"))
    _insert(engine, lot_release("b-1"))  # a lot that happens to share the batch's id
    with session_scope(engine) as session:
        assert [r.seq for r in list_batch_records(session=session, batch_id=batch)] == [1, 2, 3]
        assert len(list_batch_records(session=session, batch_id="b-2")) == 1
        assert list_batch_records(session=session, batch_id="none") == []


def test_a_damaged_row_is_reported(engine: Engine, batch: str) -> None:
    _insert(engine, weighing(batch))
    with engine.begin() as connection:
        drop_guards(connection)  # the append-only triggers refuse this; an attacker drops them
        connection.exec_driver_sql("UPDATE signed_records SET meaning = 'initialled'")
    with session_scope(engine) as session:
        (row,) = list_batch_records(session=session, batch_id=batch)
    with pytest.raises(StoreError, match="is damaged"):
        record_of(row)


def test_two_threads_inserting_the_same_record_make_one_row(engine: Engine, batch: str) -> None:
    for seq in range(1, 6):
        record = weighing(batch, seq=seq)
        record = record.model_copy(update={"record_id": f"{record.record_id}#{seq}"})
        start = threading.Barrier(2)

        def insert(record: SignedRecord = record, start: threading.Barrier = start) -> bool:
            start.wait()
            return _insert(engine, record)[1]

        with ThreadPoolExecutor(2) as pool:
            results = sorted(f.result() for f in [pool.submit(insert), pool.submit(insert)])
        assert results == [False, True]
        assert _count(engine) == seq


@pytest.mark.postgres
def test_two_writers_released_at_once_make_one_row(postgres_engine: Engine) -> None:
    """PostgreSQL only: both inserts reach the unique index together; the loser waits for the
    winner's commit, gets the violation, reads the winner's row and finds the same content.
    (On SQLite, BEGIN IMMEDIATE queues writers, so they cannot meet at the index.)"""
    engine = postgres_engine
    with session_scope(engine) as session:
        insert_batch(session=session, header=header("b-1"), steps_total=2)
    start = threading.Barrier(2, timeout=10)

    def insert_when_released() -> bool:
        start.wait()
        return _insert(engine, weighing("b-1"))[1]

    with ThreadPoolExecutor(2) as pool:
        results = sorted(pool.map(lambda _: insert_when_released(), range(2)))
    assert results == [False, True]
    assert _count(engine) == 1
