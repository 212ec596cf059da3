"""Per-batch hash chain: each record's signed payload names the hash of the record before it."""

from __future__ import annotations

from collections.abc import Sequence

from signatures.canonical import sha256_hex
from signatures.errors import ChainBroken

__all__ = ["GENESIS", "record_hash", "verify_chain"]

GENESIS = "0" * 64
"""The ``prev_hash`` of the first record of a batch."""


def record_hash(canonical: bytes) -> str:
    """Return the hex SHA-256 of a record's canonical bytes: the next record's ``prev_hash``."""
    return sha256_hex(canonical)


def verify_chain(entries: Sequence[tuple[str, bytes, str]]) -> None:
    """Check that the records of one batch, in order, form an unbroken hash chain.

    Each entry is ``(label, canonical bytes, prev_hash)``: a label used in messages (e.g. the
    record id), the signed canonical bytes, and the ``prev_hash`` read from inside those signed
    bytes (not from a separate column, or the chain proves nothing). The first entry must claim
    ``GENESIS``; every later one the ``record_hash`` of the entry before it. This catches a
    deleted, inserted, reordered or modified record, except that dropping the *last* records
    leaves a valid shorter chain: the Merkle checkpoints cover truncation.

    Raises:
        ChainBroken: naming (``label``, ``index``) the first entry whose ``prev_hash`` does not
            match.
    """
    expected = GENESIS
    for index, (label, canonical, prev_hash) in enumerate(entries):
        if prev_hash != expected:
            what = "the genesis hash" if index == 0 else "the hash of the entry before it"
            raise ChainBroken(
                f"chain broken at {label}: prev_hash {prev_hash} is not {what} ({expected})",
                label=label,
                index=index,
            )
        expected = record_hash(canonical)
