"""Signed checkpoints: tampering with any field breaks them; JSON round trips; with proofs."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from signatures.checkpoints import (
    Checkpoint,
    checkpoint_message,
    sign_checkpoint,
    verify_checkpoint,
)
from signatures.errors import BadProof, BadSignature, MalformedInput
from signatures.keys import public_key_id
from signatures.merkle import MerkleTree, leaf_hash, verify_consistency
from tests.signatures.conftest import NOW

ROOT = bytes(range(32))


def make(key: Ed25519PrivateKey, **changes: Any) -> Checkpoint:
    fields: dict[str, Any] = {
        "origin": "acme-site-1",
        "tree_size": 42,
        "root_hash": ROOT,
        "timestamp": NOW,
    }
    fields.update(changes)
    return sign_checkpoint(key, **fields)


def test_golden_message() -> None:
    message = checkpoint_message(origin="acme-site-1", tree_size=42, root_hash=ROOT, timestamp=NOW)
    assert message == (
        b'{"kind":"ebr-checkpoint/1","origin":"acme-site-1",'
        b'"root_hash":"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",'
        b'"timestamp":"2025-03-01T08:15:00.000000Z","tree_size":42}'
    )


def test_sign_and_verify(key: Ed25519PrivateKey) -> None:
    checkpoint = make(key)
    assert checkpoint.key_id == public_key_id(key.public_key())
    verify_checkpoint(key.public_key(), checkpoint)


@pytest.mark.parametrize(
    "changes",
    [
        {"tree_size": 41},
        {"tree_size": 43},
        {"root_hash": bytes(32)},
        {"timestamp": NOW + timedelta(microseconds=1)},
        {"timestamp": NOW - timedelta(days=1)},
        {"origin": "acme-site-2"},
        {"signature": bytes(64)},
    ],
)
def test_tampered_field(key: Ed25519PrivateKey, changes: Any) -> None:
    tampered = dataclasses.replace(make(key), **changes)
    with pytest.raises(BadSignature) as caught:
        verify_checkpoint(key.public_key(), tampered)
    assert caught.value.code == "bad_signature"


def test_malformed_fields_are_a_bad_signature(key: Ed25519PrivateKey) -> None:
    for changes in (
        {"root_hash": b"short"},
        {"tree_size": -1},
        {"timestamp": NOW.replace(tzinfo=None)},
    ):
        with pytest.raises(BadSignature):
            verify_checkpoint(key.public_key(), dataclasses.replace(make(key), **changes))


def test_another_key(key: Ed25519PrivateKey, other_key: Ed25519PrivateKey) -> None:
    with pytest.raises(BadSignature, match="another signing key"):
        verify_checkpoint(other_key.public_key(), make(key))
    relabelled = dataclasses.replace(make(key), key_id=public_key_id(other_key.public_key()))
    with pytest.raises(BadSignature, match="does not verify"):
        verify_checkpoint(other_key.public_key(), relabelled)


def test_timestamps_are_normalised_to_utc(key: Ed25519PrivateKey) -> None:
    cet = timezone(timedelta(hours=1))
    checkpoint = make(key, timestamp=NOW.astimezone(cet))
    assert checkpoint.timestamp == NOW and checkpoint.timestamp.tzinfo == UTC
    verify_checkpoint(key.public_key(), checkpoint)


@pytest.mark.parametrize(
    "changes",
    [
        {"timestamp": datetime(2025, 3, 1, 8, 15)},
        {"tree_size": True},
        {"tree_size": -1},
        {"root_hash": ROOT.hex()},
        {"root_hash": ROOT[:31]},
        {"origin": None},
    ],
)
def test_unsignable_checkpoints_are_refused(key: Ed25519PrivateKey, changes: Any) -> None:
    with pytest.raises(ValueError):
        make(key, **changes)


def test_json_round_trip(key: Ed25519PrivateKey) -> None:
    checkpoint = make(key, timestamp=NOW + timedelta(microseconds=123456))
    text = checkpoint.to_json()
    again = Checkpoint.from_json(text)
    assert again == checkpoint
    verify_checkpoint(key.public_key(), again)
    assert json.loads(text)["timestamp"] == "2025-03-01T08:15:00.123456Z"


def test_tampered_json_fails_verification(key: Ed25519PrivateKey) -> None:
    data = json.loads(make(key).to_json())
    data["tree_size"] = 41
    with pytest.raises(BadSignature):
        verify_checkpoint(key.public_key(), Checkpoint.from_json(json.dumps(data)))


@pytest.mark.parametrize(
    "changes",
    [
        {"kind": "other"},
        {"origin": ...},
        {"origin": 5},
        {"tree_size": "42"},
        {"tree_size": 4.2},
        {"tree_size": True},
        {"tree_size": -1},
        {"root_hash": "zz"},
        {"root_hash": "00" * 31},
        {"timestamp": "2025-03-01T08:15:00+01:00"},
        {"timestamp": "yesterday"},
        {"signature": "AAAA"},
        {"signature": 7},
        {"key_id": None},
    ],
)
def test_malformed_json(key: Ed25519PrivateKey, changes: Any) -> None:
    data = {**json.loads(make(key).to_json()), **changes}
    text = json.dumps({k: v for k, v in data.items() if v is not ...})
    with pytest.raises(MalformedInput):
        Checkpoint.from_json(text)


@pytest.mark.parametrize("text", ["", "[]", "{", "null", "[" * 100000])
def test_garbage_json(text: str) -> None:
    with pytest.raises(MalformedInput):
        Checkpoint.from_json(text)


def test_auditor_flow_with_consistency_proofs(key: Ed25519PrivateKey) -> None:
    log = MerkleTree(leaf_hash(f"event {i}".encode()) for i in range(25))
    kept = make(key, tree_size=25, root_hash=log.root()).to_json()  # the auditor's file
    for i in range(25, 60):
        log.append(leaf_hash(f"event {i}".encode()))
    latest = make(key, tree_size=60, root_hash=log.root(), timestamp=NOW + timedelta(days=1))
    old = Checkpoint.from_json(kept)
    verify_checkpoint(key.public_key(), old)
    verify_checkpoint(key.public_key(), latest)
    proof = log.consistency_proof(old.tree_size, latest.tree_size)
    verify_consistency(old.tree_size, latest.tree_size, old.root_hash, latest.root_hash, proof)

    # The operator rewrites event 7 and re-signs a fresh checkpoint: the old one exposes it.
    rewritten = MerkleTree(
        leaf_hash(b"event 7, edited" if i == 7 else f"event {i}".encode()) for i in range(60)
    )
    forged = make(key, tree_size=60, root_hash=rewritten.root())
    verify_checkpoint(key.public_key(), forged)
    with pytest.raises(BadProof):
        verify_consistency(
            old.tree_size,
            forged.tree_size,
            old.root_hash,
            forged.root_hash,
            rewritten.consistency_proof(25, 60),
        )
