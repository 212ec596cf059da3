"""RFC 9162 section 2.1 hashing and proof verification: what an auditor needs without a tree.

Leaf hash ``SHA-256(0x00 || entry)``, interior node ``SHA-256(0x01 || left || right)``. The
verifiers follow the RFC's algorithms (2.1.3.2 inclusion, 2.1.4.2 consistency) step by step.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from signatures.errors import BadProof

__all__ = ["EMPTY_ROOT", "leaf_hash", "node_hash", "verify_consistency", "verify_inclusion"]

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""The root of the empty tree: SHA-256 of the empty string."""


def leaf_hash(entry: bytes) -> bytes:
    """Return ``SHA-256(0x00 || entry)``, the RFC 9162 hash of one log entry."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return ``SHA-256(0x01 || left || right)``, an RFC 9162 interior node."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _check_hashes(hashes: Sequence[bytes], proof: Sequence[bytes], *sizes: int) -> None:
    if not all(type(size) is int for size in sizes):
        raise BadProof("tree sizes and indexes must be integers")
    if isinstance(proof, bytes | str):
        raise BadProof("a proof is a sequence of 32-byte hashes, not one string")
    if not all(isinstance(item, bytes) and len(item) == 32 for item in (*hashes, *proof)):
        raise BadProof("hashes and proof elements must be 32 bytes")


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` leaves with ``root``.

    Follows RFC 9162 section 2.1.3.2 step by step. Returns ``None`` on success.

    Raises:
        BadProof: the index is not below the size, a hash is not 32 bytes, the proof is too
            short or too long, or the recomputed root differs from ``root``.
    """
    _check_hashes((leaf_hash, root), proof, index, size)
    if not 0 <= index < size:
        raise BadProof(f"leaf index {index} is not in a tree of size {size}")
    fn, sn = index, size - 1
    r = leaf_hash
    for p in proof:
        if sn == 0:
            raise BadProof("inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise BadProof("inclusion proof is too short for the tree size")
    if r != root:
        raise BadProof(f"inclusion proof for leaf {index} does not lead to the root")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree of ``old_size`` with ``old_root`` is a prefix of the newer tree.

    Follows RFC 9162 section 2.1.4.2 step by step for 0 < old_size < new_size. Outside that
    range, which the RFC leaves undefined: equal sizes need an empty proof and equal roots;
    old size 0 needs an empty proof and the empty-tree root. Returns ``None`` on success.

    Raises:
        BadProof: sizes out of order, a hash not 32 bytes, a proof of the wrong length, or
            recomputed roots that differ from ``old_root`` or ``new_root`` (e.g. a leaf the old
            tree held was rewritten).
    """
    _check_hashes((old_root, new_root), proof, old_size, new_size)
    if not 0 <= old_size <= new_size:
        raise BadProof(f"sizes {old_size} and {new_size} are not in order")
    if old_size in (0, new_size):
        expected = EMPTY_ROOT if old_size == 0 else new_root
        if proof or old_root != expected:
            raise BadProof("trees of these sizes need an empty proof and matching roots")
        return
    if not proof:
        raise BadProof("consistency proof is empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise BadProof("consistency proof is longer than needed")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise BadProof("consistency proof is too short")
    if fr != old_root:
        raise BadProof(f"consistency proof does not reproduce the root of size {old_size}")
    if sr != new_root:
        raise BadProof(f"consistency proof does not reproduce the root of size {new_size}")
