"""The per-batch hash chain: deletion, insertion, reordering and edits name the right entry."""

from __future__ import annotations

import hashlib

import pytest

from signatures.canonical import canonical_json
from signatures.chain import GENESIS, record_hash, verify_chain
from signatures.errors import ChainBroken

Entry = tuple[str, bytes, str]


def build(count: int, batch: str = "B-1") -> list[Entry]:
    entries: list[Entry] = []
    prev = GENESIS
    for seq in range(count):
        body = {"batch_id": batch, "seq": seq, "value": f"{seq}.00", "prev_hash": prev}
        data = canonical_json(body)
        entries.append((f"record {seq}", data, prev))
        prev = record_hash(data)
    return entries


def broken_at(entries: list[Entry]) -> tuple[str, int]:
    with pytest.raises(ChainBroken) as caught:
        verify_chain(entries)
    assert caught.value.code == "chain_broken"
    assert caught.value.label in caught.value.message
    return caught.value.label, caught.value.index


def test_genesis_and_record_hash() -> None:
    assert GENESIS == "0" * 64
    assert record_hash(b"abc") == hashlib.sha256(b"abc").hexdigest()


def test_intact_chain() -> None:
    verify_chain(build(6))
    verify_chain([])


def test_deleted_entry() -> None:
    entries = build(6)
    del entries[2]
    assert broken_at(entries) == ("record 3", 2)


def test_deleted_first_entry() -> None:
    assert broken_at(build(6)[1:]) == ("record 1", 0)


def test_inserted_entry_linked_to_its_predecessor() -> None:
    entries = build(6)
    forged = canonical_json({"batch_id": "B-1", "seq": 99, "prev_hash": entries[1][2]})
    entries.insert(2, ("forged", forged, record_hash(entries[1][1])))
    assert broken_at(entries) == ("record 2", 3)


def test_inserted_entry_with_a_made_up_prev_hash() -> None:
    entries = build(6)
    entries.insert(4, ("forged", b"{}", "f" * 64))
    assert broken_at(entries) == ("forged", 4)


def test_reordered_entries() -> None:
    entries = build(6)
    entries[2], entries[3] = entries[3], entries[2]
    assert broken_at(entries) == ("record 3", 2)


def test_modified_entry_is_caught_at_the_next_one() -> None:
    entries = build(6)
    label, data, prev = entries[3]
    entries[3] = (label, data.replace(b'"3.00"', b'"3.50"'), prev)
    assert broken_at(entries) == ("record 4", 4)


def test_entry_spliced_in_from_another_batch() -> None:
    entries, other = build(6), build(6, batch="B-2")
    entries[2] = other[2]
    assert broken_at(entries) == ("record 2", 2)


def test_first_entry_must_claim_genesis() -> None:
    entries = build(3)
    label, data, _ = entries[0]
    entries[0] = (label, data, "1" * 64)
    assert broken_at(entries) == ("record 0", 0)


def test_truncation_is_not_the_chains_job() -> None:
    # Dropping the last records leaves a valid shorter chain; Merkle checkpoints catch this.
    verify_chain(build(6)[:4])
