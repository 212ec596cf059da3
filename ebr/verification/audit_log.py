"""Checking the audit log: its rows, their Merkle tree, the signed checkpoints, saved checkpoints."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ebr.audit import body_of
from ebr.store.audit import AuditRow
from ebr.verification.findings import Inconsistency
from ebr.verification.signed_records import TABLE as RECORDS_TABLE
from signatures.canonical import canonical_json
from signatures.checkpoints import Checkpoint, verify_checkpoint
from signatures.errors import BadProof, BadSignature
from signatures.merkle import MerkleTree, leaf_hash, verify_consistency

__all__ = [
    "RECORD_ACTIONS",
    "AuditStats",
    "check_audit_rows",
    "check_record_entries",
    "check_since",
    "note_record_entry",
]

TABLE = "audit_log"
RECORD_ACTIONS = frozenset({"record_signed", "record_corrected"})


@dataclass
class AuditStats:
    """The tree the log's leaves make, and which entry recorded each record's signing."""

    tree: MerkleTree = field(default_factory=MerkleTree)
    records: dict[str, tuple[int, str]] = field(default_factory=dict)


def check_audit_rows(rows: Iterable[AuditRow]) -> AuditStats:
    """Check the rows in ``idx`` order and build the Merkle tree of their leaves.

    Per row: ``idx`` is the row's position (0, 1, 2... without gaps); ``canonical`` is the
    canonical JSON of the body the columns say (``ebr.audit.body_of``), so an edited column is
    caught; ``leaf_hash`` is the RFC 9162 leaf hash of ``canonical``.

    Raises:
        Inconsistency: table ``audit_log``, entry ``idx <n>``, at the first failing row.
    """
    stats = AuditStats()
    for expected, row in enumerate(rows):
        entry = f"idx {expected}"
        if row.idx != expected:
            what = "missing" if row.idx > expected else "duplicated"
            raise Inconsistency(table=TABLE, entry=entry, problem=f"entry {expected} is {what}")
        body = body_of(row)
        if canonical_json(body).decode("utf-8") != row.canonical:
            raise Inconsistency(
                table=TABLE, entry=entry, problem="the columns do not say what canonical says"
            )
        leaf = leaf_hash(row.canonical.encode("utf-8"))
        if leaf.hex() != row.leaf_hash:
            raise Inconsistency(
                table=TABLE, entry=entry, problem="leaf_hash is not the leaf hash of canonical"
            )
        stats.tree.append(leaf)
        note_record_entry(stats.records, expected, body)
    return stats


def note_record_entry(
    records: dict[str, tuple[int, str]], idx: int, body: Mapping[str, Any]
) -> None:
    """Remember ``(idx, record hash)`` if the entry ``body`` records a record's signing (entity
    ``signed_record``, whatever its subject or chain)."""
    new_value = body.get("new_value")
    if body.get("entity") == "signed_record" and body.get("action") in RECORD_ACTIONS:
        digest = new_value.get("record_hash") if isinstance(new_value, dict) else None
        records[str(body.get("entity_id"))] = (idx, str(digest))


def check_record_entries(hashes: Mapping[str, str], entries: Mapping[str, tuple[int, str]]) -> None:
    """Check that signed records and their audit entries name each other with the same hash.

    A record without its entry was slipped in around the application; an entry without its
    record shows a removed record (also the last of a chain, which the chain alone cannot show).

    Raises:
        Inconsistency: ``signed_records`` or ``audit_log``, naming the record or the entry.
    """
    for record_id, digest in hashes.items():
        found = entries.get(record_id)
        if found is None:
            raise Inconsistency(
                table=RECORDS_TABLE,
                entry=record_id,
                problem="no audit entry records this record being signed",
            )
        if found[1] != digest:
            raise Inconsistency(
                table=TABLE,
                entry=f"idx {found[0]}",
                problem=f"records hash {found[1]} for {record_id}, whose hash is {digest}",
            )
    for record_id, (idx, _) in entries.items():
        if record_id not in hashes:
            raise Inconsistency(
                table=RECORDS_TABLE,
                entry=record_id,
                problem=f"audit_log idx {idx} records it being signed, but it is missing",
            )


def check_since(
    saved: Checkpoint, tree: MerkleTree, key: Ed25519PublicKey, *, kept: str = "saved"
) -> None:
    """Check a checkpoint kept outside the store (``kept``: by an auditor, ``saved``; by the
    witness, ``witnessed``): its signature, then that the log only grew since.

    Raises:
        Inconsistency: table ``audit_log``, entry ``size <n> (<kept> checkpoint)``.
    """
    entry = f"size {saved.tree_size} ({kept} checkpoint)"
    try:
        verify_checkpoint(key, saved)
    except BadSignature as exc:
        raise Inconsistency(table=TABLE, entry=entry, problem=exc.message) from None
    if saved.tree_size > tree.size:
        raise Inconsistency(
            table=TABLE,
            entry=entry,
            problem=f"the log holds {tree.size} entries, fewer than the {kept} checkpoint signed",
        )
    try:
        proof = tree.consistency_proof(saved.tree_size)
        verify_consistency(saved.tree_size, tree.size, saved.root_hash, tree.root(), proof)
    except BadProof as exc:
        raise Inconsistency(
            table=TABLE,
            entry=entry,
            problem=f"the log is not an extension of the {kept} checkpoint: an entry under size "
            f"{saved.tree_size} was rewritten, removed or reordered ({exc.message})",
        ) from None
