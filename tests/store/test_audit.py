"""The audit log: gapless positions under concurrency, one leaf per event key, filters, fast leaves."""

from __future__ import annotations

import dataclasses
import hashlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, insert, text

from ebr.store import Conflict, StoreError, session_scope
from ebr.store.audit import (
    AuditEntryIn,
    AuditRow,
    append_audit,
    audit_size,
    get_audit,
    leaf_hashes,
    list_audit,
)
from tests.store.builders import T0
from tests.store.evidence import audit_entry, leaf_hash


def _append(engine: Engine, entry: AuditEntryIn) -> tuple[AuditRow, bool]:
    with session_scope(engine) as session:
        return append_audit(session=session, entry=entry)


def _size(engine: Engine) -> int:
    with session_scope(engine) as session:
        return audit_size(session=session)


def test_entries_take_positions_in_append_order_and_come_back_as_given(engine: Engine) -> None:
    entries = [
        audit_entry(0, old_value={"status": "in_progress"}, reason="scale fault"),
        audit_entry(1, batch_id=None, action="login", entity="user", entity_id="olga"),
        audit_entry(2),
    ]
    assert [(_append(engine, e)[0].idx) for e in entries] == [0, 1, 2]
    with session_scope(engine) as session:
        stored = get_audit(session=session, idx=0)
        assert get_audit(session=session, idx=3) is None
        assert audit_size(session=session) == 3
    assert stored is not None
    assert stored.at == T0 and stored.at.tzinfo is UTC
    assert (stored.old_value, stored.new_value) == ({"status": "in_progress"}, {"n": 0})
    assert (stored.reason, stored.canonical, stored.leaf_hash) == (
        "scale fault",
        entries[0].canonical,
        entries[0].leaf_hash,
    )
    with engine.connect() as connection:
        # Absent values are SQL NULL, not the JSON text 'null'.
        nulls = connection.execute(text("SELECT count(*) FROM audit_log WHERE old_value IS NULL"))
        assert nulls.scalar_one() == 2


def test_the_same_event_twice_is_one_entry(engine: Engine) -> None:
    _append(engine, audit_entry(0))
    first, created = _append(engine, audit_entry(1))
    assert created and first.idx == 1
    again, created = _append(engine, audit_entry(1))
    assert not created and again.idx == 1
    assert _size(engine) == 2
    assert _append(engine, audit_entry(2))[0].idx == 2


def test_another_event_under_a_used_key_is_a_conflict(engine: Engine) -> None:
    _append(engine, audit_entry(0))
    with pytest.raises(Conflict) as caught:
        _append(engine, audit_entry(0, at=T0 + timedelta(minutes=1)))
    assert caught.value.details == {
        "event_key": "rec-0/record_signed",
        "idx": 0,
        "fields": ["at", "canonical", "leaf_hash"],
    }
    assert _size(engine) == 1


def test_a_leaf_hash_that_is_not_the_entry_s_is_refused(engine: Engine) -> None:
    entry = audit_entry(0)
    plain_hash = hashlib.sha256(entry.canonical.encode()).hexdigest()  # without the 0x00 prefix
    for wrong in (plain_hash, entry.leaf_hash.upper(), leaf_hash(entry.canonical + " ")):
        with pytest.raises(StoreError, match="leaf_hash is not SHA-256"):
            _append(engine, dataclasses.replace(entry, leaf_hash=wrong))
    assert _size(engine) == 0


def test_naive_times_are_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="naive"):
        _append(engine, audit_entry(0, at=datetime(2025, 3, 4, 8, 30)))
    assert _size(engine) == 0


def test_a_rolled_back_append_leaves_no_gap(engine: Engine) -> None:
    _append(engine, audit_entry(0))
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        row, _ = append_audit(session=session, entry=audit_entry(1))
        assert row.idx == 1
        raise RuntimeError("the activity failed after appending")
    assert _append(engine, audit_entry(2))[0].idx == 1
    with session_scope(engine) as session:
        assert [r.entity_id for r in list_audit(session=session)] == ["rec-0", "rec-2"]


def test_two_appends_in_one_transaction_take_consecutive_positions(engine: Engine) -> None:
    with session_scope(engine) as session:
        first, _ = append_audit(session=session, entry=audit_entry(0))
        second, _ = append_audit(session=session, entry=audit_entry(1))
        repeat, created = append_audit(session=session, entry=audit_entry(0))
    assert (first.idx, second.idx, repeat.idx, created) == (0, 1, 0, False)


def test_concurrent_appends_are_gapless_and_unique(engine: Engine) -> None:
    """Eight writers released together, each event appended by two of them (a retry race)."""
    writers, per_writer = 8, 12
    start = threading.Barrier(writers, timeout=30)

    def write(w: int) -> list[bool]:
        start.wait()
        # Writers w and w+1 (mod 8) both append the events of writer w: the same keys race.
        mine = [audit_entry(w * per_writer + i) for i in range(per_writer // 2)]
        theirs = [audit_entry(((w - 1) % writers) * per_writer + i) for i in range(per_writer // 2)]
        created = []
        for pair in zip(mine, theirs, strict=True):
            for entry in pair:
                created.append(_append(engine, entry)[1])
        return created

    with ThreadPoolExecutor(writers) as pool:
        results = list(pool.map(write, range(writers)))
    events = writers * per_writer // 2
    assert sum(sum(created) for created in results) == events
    with session_scope(engine) as session:
        rows = list_audit(session=session, limit=10 * events)
        assert audit_size(session=session) == events
    assert [row.idx for row in rows] == list(range(events))
    assert len({row.event_key for row in rows}) == events


def test_list_audit_filters_and_pages_in_log_order(engine: Engine) -> None:
    plan = [
        audit_entry(0, actor="olga", batch_id="b-1"),
        audit_entry(1, actor="sam", batch_id="b-2", action="status_changed", entity="batch"),
        audit_entry(2, actor="olga", batch_id=None, action="login", entity="user"),
        audit_entry(3, actor="sam", batch_id="b-1", entity_id="rec-0", action="correction"),
        audit_entry(4, actor="olga", batch_id="b-1"),
    ]
    for entry in plan:
        _append(engine, entry)
    with session_scope(engine) as session:

        def idx(**filters: object) -> list[int]:
            return [r.idx for r in list_audit(session=session, **filters)]  # type: ignore[arg-type]

        assert idx() == [0, 1, 2, 3, 4]
        assert idx(batch_id="b-1") == [0, 3, 4]
        assert idx(actor="sam") == [1, 3]
        assert idx(entity="signed_record") == [0, 3, 4]
        assert idx(entity="signed_record", entity_id="rec-0") == [0, 3]
        assert idx(since=T0 + timedelta(seconds=1), until=T0 + timedelta(seconds=3)) == [1, 2]
        assert idx(since=T0 + timedelta(seconds=4)) == [4]
        assert idx(batch_id="b-1", actor="olga") == [0, 4]
        assert idx(limit=2, offset=1) == [1, 2]
        assert idx(batch_id="b-9") == []


def test_leaf_hashes_are_the_leaves_in_log_order(engine: Engine) -> None:
    entries = [audit_entry(n) for n in range(5)]
    for entry in entries:
        _append(engine, entry)
    expected = [bytes.fromhex(e.leaf_hash) for e in entries]
    with session_scope(engine) as session:
        assert leaf_hashes(session=session) == expected
        assert leaf_hashes(session=session, upto=3) == expected[:3]
        assert leaf_hashes(session=session, upto=0) == []
        assert leaf_hashes(session=session, upto=99) == expected


@pytest.mark.e2e
def test_leaf_hashes_of_100k_entries_take_under_a_second(engine: Engine) -> None:
    count = 100_000
    rows = []
    for n in range(count):
        canonical = f'{{"n":{n}}}'
        rows.append(
            {
                "idx": n,
                "event_key": f"bulk-{n}",
                "at": T0,
                "actor": "system",
                "station": "server",
                "action": "bulk",
                "entity": "test",
                "entity_id": str(n),
                "batch_id": None,
                "old_value": None,
                "new_value": None,
                "reason": None,
                "canonical": canonical,
                "leaf_hash": leaf_hash(canonical),
            }
        )
    with engine.begin() as connection:
        connection.execute(insert(AuditRow), rows)
    with session_scope(engine) as session:
        started = time.perf_counter()
        leaves = leaf_hashes(session=session)
        elapsed = time.perf_counter() - started
        assert audit_size(session=session) == count
    assert len(leaves) == count
    assert leaves[0] == bytes.fromhex(rows[0]["leaf_hash"])  # type: ignore[arg-type]
    assert leaves[-1] == bytes.fromhex(rows[-1]["leaf_hash"])  # type: ignore[arg-type]
    assert elapsed < 1.0, f"leaf_hashes took {elapsed:.2f} s for {count} entries"
    assert _append(engine, audit_entry(0))[0].idx == count
