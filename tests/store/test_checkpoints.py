"""Audit checkpoints: one per tree size, never two different ones, never beyond the log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from ebr.store import Conflict, StoreError, session_scope
from ebr.store.audit import append_audit
from ebr.store.checkpoints import (
    CheckpointRow,
    get_checkpoint,
    latest_checkpoint,
    list_checkpoints,
    save_checkpoint,
)
from tests.store.builders import T0
from tests.store.evidence import audit_entry


@pytest.fixture
def logged(engine: Engine) -> Engine:
    """A log of five entries."""
    with session_scope(engine) as session:
        for n in range(5):
            append_audit(session=session, entry=audit_entry(n))
    return engine


def _checkpoint(tree_size: int, **change: Any) -> dict[str, Any]:
    root = f"{tree_size:064x}"
    document = f'{{"origin":"ebr.example/audit","root_hash":"{root}","tree_size":{tree_size}}}'
    return {
        "tree_size": tree_size,
        "root_hash": root,
        "at": T0 + timedelta(minutes=tree_size),
        "origin": "ebr.example/audit",
        "key_id": "k-server-1",
        "signature": f"c2lnLXt{tree_size}",
        "document": document,
        **change,
    }


def _save(engine: Engine, tree_size: int, **change: Any) -> tuple[CheckpointRow, bool]:
    with session_scope(engine) as session:
        return save_checkpoint(session=session, **_checkpoint(tree_size, **change))


def test_save_and_read_a_checkpoint(logged: Engine) -> None:
    row, created = _save(logged, 3)
    assert created
    with session_scope(logged) as session:
        stored = get_checkpoint(session=session, tree_size=3)
        assert get_checkpoint(session=session, tree_size=4) is None
    assert stored is not None
    assert {name: getattr(stored, name) for name in _checkpoint(3)} == _checkpoint(3)
    assert stored.at.utcoffset() == timedelta(0)


def test_saving_the_same_checkpoint_again_returns_the_stored_one(logged: Engine) -> None:
    _save(logged, 3)
    again, created = _save(logged, 3)
    assert not created and again.document == _checkpoint(3)["document"]
    with session_scope(logged) as session:
        assert len(list_checkpoints(session=session)) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"root_hash": "f" * 64},
        {"signature": "b3RoZXI="},
        {"document": "{}"},
        {"at": T0 + timedelta(hours=9)},
        {"key_id": "k-server-2", "origin": "elsewhere"},
    ],
)
def test_another_checkpoint_of_the_same_size_is_a_conflict(
    logged: Engine, change: dict[str, Any]
) -> None:
    _save(logged, 3)
    with pytest.raises(Conflict) as caught:
        _save(logged, 3, **change)
    assert sorted(caught.value.details["fields"]) == sorted(change)
    with session_scope(logged) as session:
        stored = get_checkpoint(session=session, tree_size=3)
    assert stored is not None and stored.root_hash == _checkpoint(3)["root_hash"]


def test_a_checkpoint_beyond_the_log_is_refused(logged: Engine) -> None:
    with pytest.raises(StoreError, match="holds 5 entries; a checkpoint of 6"):
        _save(logged, 6)
    with pytest.raises(StoreError, match="a checkpoint of -1"):
        _save(logged, -1)
    _save(logged, 5)  # the whole log
    _save(logged, 0)  # the empty tree has a root too (RFC 9162: the hash of the empty string)


def test_latest_and_list_order_by_tree_size(logged: Engine) -> None:
    with session_scope(logged) as session:
        assert latest_checkpoint(session=session) is None
        assert list_checkpoints(session=session) == []
    for size in (2, 5, 1):
        _save(logged, size)
    with session_scope(logged) as session:
        latest = latest_checkpoint(session=session)
        assert latest is not None and latest.tree_size == 5
        assert [c.tree_size for c in list_checkpoints(session=session)] == [1, 2, 5]
        assert [c.tree_size for c in list_checkpoints(session=session, limit=1, offset=1)] == [2]
