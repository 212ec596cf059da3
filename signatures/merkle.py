"""The audit log's Merkle tree as RFC 9162 section 2.1 defines it, producing roots and proofs.

For a size that is not a power of two the left subtree is the largest power of two smaller than
the size. ``MerkleTree`` keeps every complete aligned subtree hash (one list per level), so
appending is amortised O(1) and any past root or proof costs O(log n) hash lookups. The hashing
and the proof verifiers live in ``signatures.merkle_proofs`` and are re-exported here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from signatures.merkle_proofs import (
    EMPTY_ROOT,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)

__all__ = [
    "EMPTY_ROOT",
    "MerkleTree",
    "leaf_hash",
    "node_hash",
    "verify_consistency",
    "verify_inclusion",
]


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleTree:
    """An append-only RFC 9162 Merkle tree over leaf hashes (see ``leaf_hash``)."""

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        # _levels[h][i] is the root of the complete subtree over leaves [i * 2**h, (i+1) * 2**h).
        self._levels: list[list[bytes]] = [[]]
        for value in leaf_hashes:
            self.append(value)

    @property
    def size(self) -> int:
        """The number of leaves."""
        return len(self._levels[0])

    def __len__(self) -> int:
        return self.size

    def leaf(self, index: int) -> bytes:
        """The leaf hash at ``index``."""
        return self._levels[0][index]

    def append(self, leaf_hash: bytes) -> int:
        """Append one leaf hash (32 bytes) and return its index."""
        if not isinstance(leaf_hash, bytes) or len(leaf_hash) != 32:
            raise ValueError("a leaf hash is 32 bytes (use leaf_hash(entry))")
        levels = self._levels
        levels[0].append(leaf_hash)
        index = len(levels[0]) - 1
        level = 0
        while index & 1:
            row = levels[level]
            parent = hashlib.sha256(b"\x01" + row[index - 1] + row[index]).digest()
            level += 1
            if level == len(levels):
                levels.append([])
            levels[level].append(parent)
            index >>= 1
        return len(levels[0]) - 1

    def root(self, size: int | None = None) -> bytes:
        """The tree head (MTH) over the first ``size`` leaves (default: all of them)."""
        size = self._check_size(size)
        return EMPTY_ROOT if size == 0 else self._subtree(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """The RFC 9162 inclusion proof PATH(index, D[0:size]) (default size: all leaves)."""
        size = self._check_size(size)
        if not 0 <= index < size:
            raise ValueError(f"leaf index {index} is not in a tree of size {size}")
        return self._path(index, 0, size)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """The RFC 9162 consistency proof PROOF(old_size, D[0:new_size]).

        Empty when ``old_size`` is 0 or equal to ``new_size`` (nothing to prove).
        """
        new_size = self._check_size(new_size)
        if not 0 <= old_size <= new_size:
            raise ValueError(f"old size {old_size} is not within 0..{new_size}")
        if old_size in (0, new_size):
            return []
        return self._subproof(old_size, 0, new_size, True)

    def _check_size(self, size: int | None) -> int:
        if size is None:
            return self.size
        if not 0 <= size <= self.size:
            raise ValueError(f"size {size} is not within 0..{self.size}")
        return size

    def _subtree(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for 0 <= start < end <= size."""
        n = end - start
        if n & (n - 1) == 0 and start % n == 0:
            height = n.bit_length() - 1
            return self._levels[height][start >> height]
        k = _split(n)
        return node_hash(self._subtree(start, start + k), self._subtree(start + k, end))

    def _path(self, m: int, start: int, end: int) -> list[bytes]:
        n = end - start
        if n == 1:
            return []
        k = _split(n)
        if m < k:
            return [*self._path(m, start, start + k), self._subtree(start + k, end)]
        return [*self._path(m - k, start + k, end), self._subtree(start, start + k)]

    def _subproof(self, m: int, start: int, end: int, complete: bool) -> list[bytes]:
        n = end - start
        if m == n:
            return [] if complete else [self._subtree(start, end)]
        k = _split(n)
        if m <= k:
            return [*self._subproof(m, start, start + k, complete), self._subtree(start + k, end)]
        return [*self._subproof(m - k, start + k, end, False), self._subtree(start, start + k)]
