"""A signed record's evidence (payload, hashes, signature, key) is stored verbatim and is part of
the record's identity: a retry brings the same, and other evidence under its id is refused."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import Engine

from ebr.domain.meanings import Meaning
from ebr.domain.signed_records import SignedRecord
from ebr.domain.subjects import batch_chain
from ebr.store import Conflict, StoreError, session_scope
from ebr.store.batches import insert_batch
from ebr.store.signed_records import (
    SignedEvidence,
    SignedRecordRow,
    chain_head,
    insert_signed_record,
    list_batch_records,
    record_of,
)
from tests.store.builders import header, weighing
from tests.store.evidence import GENESIS, signed

ORIGINAL = "b-1/weigh-sugar/1/performed"


@pytest.fixture
def batch(engine: Engine) -> str:
    with session_scope(engine) as session:
        insert_batch(session=session, header=header("b-1"), steps_total=2)
    return "b-1"


def _insert(
    engine: Engine, record: SignedRecord, sealed: SignedEvidence
) -> tuple[SignedRecordRow, bool]:
    with session_scope(engine) as session:
        return insert_signed_record(session=session, record=record, evidence=sealed)


def _correction(batch_id: str, seq: int) -> SignedRecord:
    base = weighing(batch_id, seq=seq, mass="100.10")
    return base.model_copy(
        update={
            "record_id": f"{batch_id}/weigh-sugar/1/corrected/{seq}",
            "meaning": Meaning.CORRECTED,
            "corrects": ORIGINAL,
            "reason": "misread the scale",
        }
    )


def test_a_signed_record_keeps_its_evidence_verbatim(engine: Engine, batch: str) -> None:
    sealed = signed({"seq": 1, "note": "é ✓"})
    row, created = _insert(engine, weighing(batch), sealed)
    assert created
    with session_scope(engine) as session:
        (stored,) = list_batch_records(session=session, batch_id=batch)
    assert {f.name: getattr(stored, f.name) for f in dataclasses.fields(SignedEvidence)} == (
        dataclasses.asdict(sealed)
    )
    assert stored.corrects is None and stored.reason is None and stored.detail is None
    assert record_of(stored) == weighing(batch)


def test_a_retry_with_the_same_signature_is_one_row(engine: Engine, batch: str) -> None:
    sealed = signed({"seq": 1})
    _insert(engine, weighing(batch), sealed)
    again, created = _insert(engine, weighing(batch), sealed)
    assert not created and again.signature == sealed.signature


@pytest.mark.parametrize(
    ("other", "fields"),
    [
        (signed({"seq": 1, "other": True}), ["payload", "record_hash", "signature"]),
        (signed({"seq": 1}, key_id="k-olga-2"), ["signature", "key_id"]),
        (
            signed({"seq": 1}, prev_hash="1" * 64),
            ["payload", "record_hash", "prev_hash", "signature"],
        ),
    ],
)
def test_other_evidence_under_the_same_record_id_is_a_conflict(
    engine: Engine, batch: str, other: SignedEvidence, fields: list[str]
) -> None:
    sealed = signed({"seq": 1})
    _insert(engine, weighing(batch), sealed)
    with pytest.raises(Conflict) as caught:
        _insert(engine, weighing(batch), other)
    assert caught.value.details["fields"] == fields
    with session_scope(engine) as session:
        (stored,) = list_batch_records(session=session, batch_id=batch)
    assert stored.payload == sealed.payload and stored.signature == sealed.signature


def test_a_record_hash_that_is_not_the_payload_s_is_refused(engine: Engine, batch: str) -> None:
    sealed = signed({"seq": 1})
    for wrong in ("0" * 64, sealed.record_hash.upper()):
        with pytest.raises(StoreError, match="record_hash is not the SHA-256 of its payload"):
            _insert(engine, weighing(batch), dataclasses.replace(sealed, record_hash=wrong))
    with session_scope(engine) as session:
        assert list_batch_records(session=session, batch_id=batch) == []


def test_a_correction_points_at_the_record_it_corrects(engine: Engine, batch: str) -> None:
    first = signed({"seq": 1})
    original, _ = _insert(engine, weighing(batch, seq=1), first)
    fix = signed({"seq": 2}, prev_hash=first.record_hash)
    row, _ = _insert(engine, _correction(batch, 2), fix)
    assert (row.corrects, row.prev_hash) == (original.record_id, first.record_hash)
    assert record_of(row).reason == "misread the scale"


def test_the_chain_head_is_the_newest_record_s_hash(engine: Engine, batch: str) -> None:
    chain = batch_chain(batch)
    with session_scope(engine) as session:
        assert chain_head(session=session, chain=chain) == (0, None)
    first = signed({"seq": 1}, prev_hash=GENESIS)
    _insert(engine, weighing(batch, seq=1), first)
    second = signed({"seq": 2}, prev_hash=first.record_hash)
    _insert(engine, _correction(batch, 2), second)
    with session_scope(engine) as session:
        assert chain_head(session=session, chain=chain) == (2, second.record_hash)
        assert chain_head(session=session, chain=batch_chain("other")) == (0, None)
