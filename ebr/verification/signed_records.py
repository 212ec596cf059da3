"""Checking signed step records: each row against its signed payload, the signatures, the chains."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import ValidationError

from ebr.domain.signed import RecordPayload
from ebr.verification.certificates import TrustedKey
from ebr.verification.evidence import RecordEvidence
from ebr.verification.gc_pause import collection_paused
from ebr.verification.report import Inconsistency
from signatures.chain import verify_chain
from signatures.errors import BadSignature, ChainBroken
from signatures.records import Signature, verify_many

__all__ = ["RecordStats", "check_records"]

TABLE = "step_records"


@dataclass
class RecordStats:
    """What ``check_records`` saw; ``hashes`` maps each signed record id to its record hash."""

    signed: int = 0
    unsigned: list[str] = field(default_factory=list)
    batches: int = 0
    hashes: dict[str, str] = field(default_factory=dict)


def check_records(
    records: Sequence[RecordEvidence],
    keys: Mapping[str, TrustedKey],
    recipe_hashes: Mapping[str, str],
) -> RecordStats:
    """Check every record, then every signature, then every batch's chain.

    ``records`` must be ordered by (batch id, seq); ``keys`` are the certificates already checked
    (``check_user_keys``); ``recipe_hashes`` maps batch ids to the batch rows' recipe hash.
    Per signed record: ``record_hash`` is the SHA-256 of ``payload``; the payload is a valid
    ``ebr.record/1`` payload whose fields are the row's columns (so an edited column is caught
    even when the payload is intact) and whose recipe hash is its batch's; its key is a trusted
    key of the payload's signer, valid (and not retired) when it signed. Then the Ed25519
    signatures (``verify_many``). Then per batch: seq runs 1..n, and each signed payload's
    ``prev_hash`` is the hash of the batch's previous signed record (the first: GENESIS).

    Raises:
        Inconsistency: table ``step_records`` (``batches`` for a batch row that disagrees), at
            the first problem in that order.
    """
    with collection_paused():
        return _check(records, keys, recipe_hashes)


def _check(
    records: Sequence[RecordEvidence],
    keys: Mapping[str, TrustedKey],
    recipe_hashes: Mapping[str, str],
) -> RecordStats:
    stats = RecordStats()
    items: list[tuple[Ed25519PublicKey, bytes, Signature]] = []
    ids: list[str] = []
    chains: dict[str, list[tuple[str, bytes, str]]] = {}
    for record in records:
        if record.payload is None:
            stats.unsigned.append(record.record_id)
            continue
        data = record.payload.encode("utf-8")
        payload = _checked_payload(record, data, recipe_hashes)
        key = _checked_key(record, payload, keys)
        items.append((key.public_key, data, Signature(key_id=key.key_id, value=_sig(record))))
        ids.append(record.record_id)
        chains.setdefault(record.batch_id, []).append((record.record_id, data, payload.prev_hash))
        stats.hashes[record.record_id] = record.record_hash or ""
    try:
        stats.signed = verify_many(items)
    except BadSignature as exc:
        index = exc.index if exc.index is not None else 0
        raise Inconsistency(
            table=TABLE,
            entry=ids[index],
            problem="the signature does not verify over the stored payload with its key",
        ) from None
    for batch_id, batch in groupby(records, key=lambda r: r.batch_id):
        _check_seqs(batch_id, [r.seq for r in batch])
        stats.batches += 1
    for batch_chain in chains.values():
        try:
            verify_chain(batch_chain)
        except ChainBroken as exc:
            raise Inconsistency(table=TABLE, entry=exc.label, problem=exc.message) from None
    return stats


def _checked_payload(
    record: RecordEvidence, data: bytes, recipe_hashes: Mapping[str, str]
) -> RecordPayload:
    def fail(problem: str) -> Inconsistency:
        return Inconsistency(table=TABLE, entry=record.record_id, problem=problem)

    if hashlib.sha256(data).hexdigest() != record.record_hash:
        raise fail("record_hash is not the SHA-256 of the payload")
    try:
        payload = RecordPayload.model_validate_json(data)
    except ValidationError as exc:
        raise fail(f"the payload is not a valid signed record: {exc}") from None
    signer = payload.signer
    pairs: list[tuple[str, Any, Any]] = [
        ("record_id", payload.record_id(), record.record_id),
        ("batch_id", payload.batch_id, record.batch_id),
        ("seq", payload.seq, record.seq),
        ("step_id", payload.step_id, record.step_id),
        ("execution", payload.execution, record.execution),
        ("meaning", payload.meaning.value, record.meaning),
        ("values", [v.model_dump(mode="json") for v in payload.values], record.values),
        ("comment", payload.comment, record.comment),
        ("user_id", signer.user_id, record.user_id),
        ("user_name", signer.full_name, record.user_name),
        ("station", payload.station, record.station),
        ("recorded_at", payload.signed_at, record.recorded_at),
        ("corrects", payload.corrects, record.corrects),
        ("prev_hash", payload.prev_hash, record.prev_hash),
    ]
    for column, signed, stored in pairs:
        if signed != stored:
            raise fail(f"column {column} is {stored!r} but the signed payload says {signed!r}")
    if recipe_hashes.get(record.batch_id) != payload.recipe_hash:
        raise Inconsistency(
            table="batches",
            entry=record.batch_id,
            problem=f"the recipe hash is not {payload.recipe_hash}, which record "
            f"{record.record_id} was signed for (or the batch row is missing)",
        )
    return payload


def _checked_key(
    record: RecordEvidence, payload: RecordPayload, keys: Mapping[str, TrustedKey]
) -> TrustedKey:
    def fail(problem: str) -> Inconsistency:
        return Inconsistency(table=TABLE, entry=record.record_id, problem=problem)

    key = keys.get(record.key_id or "")
    if key is None:
        raise fail(f"signed with key {record.key_id!r}, which no certificate in user_keys holds")
    if key.user_id != payload.signer.user_id:
        raise fail(
            f"key {key.key_id} is certified for {key.user_id!r}, but the payload's signer "
            f"is {payload.signer.user_id!r}"
        )
    at = payload.signed_at
    if not key.not_before <= at <= key.not_after:
        raise fail(f"signed at {at.isoformat()}, outside the validity of key {key.key_id}")
    if key.retired_at is not None and at > key.retired_at:
        raise fail(f"signed at {at.isoformat()}, after key {key.key_id} was retired")
    return key


def _sig(record: RecordEvidence) -> bytes:
    try:
        value = base64.b64decode(record.signature or "", validate=True)
    except (binascii.Error, ValueError):
        value = b""
    if len(value) != 64:
        raise Inconsistency(
            table=TABLE, entry=record.record_id, problem="the signature is not 64 bytes of base64"
        )
    return value


def _check_seqs(batch_id: str, seqs: list[int]) -> None:
    for expected, seq in enumerate(seqs, start=1):
        if seq != expected:
            what = "missing" if seq > expected else "duplicated or out of order"
            raise Inconsistency(
                table=TABLE,
                entry=f"batch {batch_id} seq {expected}",
                problem=f"seq {expected} is {what} (the records run {seqs[: expected + 1]}...)",
            )
