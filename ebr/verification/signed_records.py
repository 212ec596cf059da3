"""Checking signed records of every chain: each row against its signed payload, the signatures,
each chain's order and links, and the recipe hash a chain's owner row holds."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import ValidationError

from ebr.domain.signed_records import PAYLOAD_FORMAT, RecordPayload
from ebr.domain.subjects import ChainKind
from ebr.verification.certificates import TrustedKey
from ebr.verification.evidence import RecordEvidence
from ebr.verification.findings import ChainTally, Inconsistency
from ebr.verification.gc_pause import collection_paused
from signatures.chain import verify_chain
from signatures.errors import BadSignature, ChainBroken
from signatures.signing import Signature, verify_many

__all__ = ["TABLE", "RecipeHashes", "RecordStats", "check_signed_records"]

TABLE = "signed_records"

RecipeHashes = Mapping[tuple[str, str], str]
"""By chain ``(kind, id)``: the recipe hash its owner row holds (a batch row's recipe hash, a
recipe version's content hash)."""


@dataclass(frozen=True)
class _Owner:
    """The row that owns a kind of chain and holds the recipe hash its records bind."""

    table: str
    row: str
    holds: str
    required: bool


_OWNERS: dict[ChainKind, _Owner] = {
    ChainKind.BATCH: _Owner("batches", "batch row", "recipe hash", required=True),
}
"""The chain kinds whose records bind one recipe hash, and where it is kept: a batch's records
always bind its recipe version's hash. A recipe version's records name the revision they were
signed for, which ``ebr.verification.recipes`` holds to the stored revisions."""


@dataclass
class RecordStats:
    """What ``check_signed_records`` saw; ``hashes`` maps each record id to its record hash."""

    signed: int = 0
    by_kind: dict[ChainKind, ChainTally] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)


def check_signed_records(
    records: Sequence[RecordEvidence],
    keys: Mapping[str, TrustedKey],
    recipe_hashes: RecipeHashes,
) -> RecordStats:
    """Check every record, then every signature, then every chain, of every kind.

    ``keys`` are the certificates already checked (``check_user_keys``); ``recipe_hashes``
    what the chains' owner rows hold (``RecipeHashes``). Per record: ``record_hash`` is the
    SHA-256 of ``payload``; the payload is a valid ``ebr.record/2`` payload whose fields are the
    row's columns (chain, seq, subject, batch id, execution, meaning, values, comment, reason,
    corrects, detail, signer, station, time, prev_hash and the record id they make), compared
    with their JSON types, so an edited column is caught even when the payload is intact; a
    record of a batch binds its batch row's recipe hash (and a recipe version's record the
    version's content hash, when it names one); its key is a trusted key of the payload's
    signer, valid (and not retired) when it signed. Then the Ed25519 signatures
    (``verify_many``). Then per chain (the rows grouped by their chain columns, in seq order):
    seq runs 1..n, and each payload's ``prev_hash`` is the hash of the chain's previous record
    (the first: GENESIS).

    Raises:
        Inconsistency: table ``signed_records`` (``batches`` or ``recipes`` for an owner row
            that disagrees), at the first problem in that order.
    """
    with collection_paused():
        return _check(records, keys, recipe_hashes)


def _check(
    records: Sequence[RecordEvidence],
    keys: Mapping[str, TrustedKey],
    recipe_hashes: RecipeHashes,
) -> RecordStats:
    stats = RecordStats()
    items: list[tuple[Ed25519PublicKey, bytes, Signature]] = []
    chains: dict[tuple[str, str], list[tuple[int, str, bytes, str]]] = {}
    for record in records:
        data = record.payload.encode("utf-8")
        payload = _checked_payload(record, data)
        _check_recipe_hash(record, payload, recipe_hashes)
        key = _checked_key(record, payload, keys)
        items.append((key.public_key, data, Signature(key_id=key.key_id, value=_sig(record))))
        link = (record.seq, record.record_id, data, payload.prev_hash)
        chains.setdefault(record.chain_key, []).append(link)
        stats.hashes[record.record_id] = record.record_hash
    try:
        stats.signed = verify_many(items)
    except BadSignature as exc:
        index = exc.index if exc.index is not None else 0
        raise Inconsistency(
            table=TABLE,
            entry=records[index].record_id,
            problem="the signature does not verify over the stored payload with its key",
        ) from None
    for (kind, chain_id), links in chains.items():
        links.sort(key=lambda link: link[0])
        _check_seqs(f"{kind} {chain_id}", [seq for seq, *_ in links])
        try:
            verify_chain([(record_id, data, prev) for _, record_id, data, prev in links])
        except ChainBroken as exc:
            raise Inconsistency(table=TABLE, entry=exc.label, problem=exc.message) from None
        tally = stats.by_kind.setdefault(ChainKind(kind), ChainTally())
        tally.chains += 1
        tally.records += len(links)
    return stats


def _checked_payload(record: RecordEvidence, data: bytes) -> RecordPayload:
    def fail(problem: str) -> Inconsistency:
        return Inconsistency(table=TABLE, entry=record.record_id, problem=problem)

    if hashlib.sha256(data).hexdigest() != record.record_hash:
        raise fail("record_hash is not the SHA-256 of the payload")
    try:
        payload = RecordPayload.model_validate_json(data)
    except ValidationError as exc:
        raise fail(f"the payload is not a valid {PAYLOAD_FORMAT} record: {exc}") from None
    signer = payload.signer
    pairs: list[tuple[str, Any, Any]] = [
        ("record_id", payload.record_id(), record.record_id),
        ("chain_kind", payload.chain.kind.value, record.chain_kind),
        ("chain_id", payload.chain.id, record.chain_id),
        ("seq", payload.seq, record.seq),
        ("subject_kind", payload.subject.kind.value, record.subject_kind),
        ("subject_id", payload.subject.id, record.subject_id),
        ("batch_id", payload.batch_id, record.batch_id),
        ("execution", payload.execution, record.execution),
        ("meaning", payload.meaning.value, record.meaning),
        ("values", [v.model_dump(mode="json") for v in payload.values], record.values),
        ("comment", payload.comment, record.comment),
        ("reason", payload.reason, record.reason),
        ("corrects", payload.corrects, record.corrects),
        ("detail", payload.detail, record.detail),
        ("recipe_hash", payload.recipe_hash, record.recipe_hash),
        ("user_id", signer.user_id, record.user_id),
        ("user_name", signer.full_name, record.user_name),
        ("station", payload.station, record.station),
        ("recorded_at", payload.signed_at, record.recorded_at),
        ("prev_hash", payload.prev_hash, record.prev_hash),
    ]
    for column, signed, stored in pairs:
        if not _same(signed, stored):
            raise fail(f"column {column} is {stored!r} but the signed payload says {signed!r}")
    return payload


def _same(signed: Any, stored: Any) -> bool:
    """Equal, with the same JSON types throughout: Python's ``==`` takes ``True`` for ``1`` and
    ``1`` for ``1.0``, which a reader of the column would not."""
    if type(signed) is not type(stored):
        return False
    if isinstance(signed, dict):
        return signed.keys() == stored.keys() and all(_same(signed[k], stored[k]) for k in signed)
    if isinstance(signed, list):
        return len(signed) == len(stored) and all(map(_same, signed, stored))
    return bool(signed == stored)


def _check_recipe_hash(
    record: RecordEvidence, payload: RecordPayload, recipe_hashes: RecipeHashes
) -> None:
    owner = _OWNERS.get(payload.chain.kind)
    if owner is None or (payload.recipe_hash is None and not owner.required):
        return
    chain = payload.chain
    if recipe_hashes.get((chain.kind, chain.id)) != payload.recipe_hash:
        raise Inconsistency(
            table=owner.table,
            entry=chain.id,
            problem=f"the {owner.holds} is not {payload.recipe_hash}, which record "
            f"{record.record_id} was signed for (or the {owner.row} is missing)",
        )


def _checked_key(
    record: RecordEvidence, payload: RecordPayload, keys: Mapping[str, TrustedKey]
) -> TrustedKey:
    def fail(problem: str) -> Inconsistency:
        return Inconsistency(table=TABLE, entry=record.record_id, problem=problem)

    key = keys.get(record.key_id)
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
        value = base64.b64decode(record.signature, validate=True)
    except (binascii.Error, ValueError):
        value = b""
    if len(value) != 64:
        raise Inconsistency(
            table=TABLE, entry=record.record_id, problem="the signature is not 64 bytes of base64"
        )
    return value


def _check_seqs(chain: str, seqs: list[int]) -> None:
    for expected, seq in enumerate(seqs, start=1):
        if seq != expected:
            what = "missing" if seq > expected else "duplicated or out of order"
            raise Inconsistency(
                table=TABLE,
                entry=f"{chain} seq {expected}",
                problem=f"seq {expected} of {chain} is {what} "
                f"(the records run {seqs[: expected + 1]}...)",
            )
