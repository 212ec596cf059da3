"""RFC 9162 Merkle tree: hand-computed trees, a brute-force reference, and tampered proofs."""

from __future__ import annotations

import hashlib
import time

import pytest

from signatures.errors import BadProof
from signatures.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)

MAX_SIZE = 40


def entries(n: int) -> list[bytes]:
    return [f"entry {i}".encode() for i in range(n)]


# --- A reference written straight from the recursive definitions of RFC 9162 section 2.1 ---


def ref_leaf(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def ref_node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def ref_k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return ref_leaf(d[0])
    k = ref_k(len(d))
    return ref_node(ref_mth(d[:k]), ref_mth(d[k:]))


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = ref_k(len(d))
    if m < k:
        return ref_path(m, d[:k]) + [ref_mth(d[k:])]
    return ref_path(m - k, d[k:]) + [ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [ref_mth(d)]
    k = ref_k(len(d))
    if m <= k:
        return ref_subproof(m, d[:k], b) + [ref_mth(d[k:])]
    return ref_subproof(m - k, d[k:], False) + [ref_mth(d[:k])]


@pytest.fixture(scope="module")
def data() -> list[bytes]:
    return entries(MAX_SIZE)


@pytest.fixture(scope="module")
def tree(data: list[bytes]) -> MerkleTree:
    return MerkleTree(leaf_hash(e) for e in data)


# --- Hand-computed trees, and the 7-leaf example of RFC 9162 section 2.1.5 ---


def test_hashes_are_domain_separated() -> None:
    assert leaf_hash(b"") == bytes.fromhex(
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )
    assert EMPTY_ROOT == bytes.fromhex(
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert (
        node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()
    )


def test_small_trees_by_hand() -> None:
    leaves = [leaf_hash(e) for e in entries(5)]
    a, b, c, d, e = leaves
    tree = MerkleTree(leaves)
    assert tree.root(0) == EMPTY_ROOT
    assert tree.root(1) == a
    assert tree.root(2) == node_hash(a, b)
    assert tree.root(3) == node_hash(node_hash(a, b), c)
    assert tree.root(4) == node_hash(node_hash(a, b), node_hash(c, d))
    assert tree.root() == node_hash(node_hash(node_hash(a, b), node_hash(c, d)), e)


def test_rfc9162_seven_leaf_example() -> None:
    a, b, c, d, e, f, j = (leaf_hash(x) for x in entries(7))
    g, h, i = node_hash(a, b), node_hash(c, d), node_hash(e, f)
    k, l_ = node_hash(g, h), node_hash(i, j)
    tree = MerkleTree([a, b, c, d, e, f, j])
    assert tree.root() == node_hash(k, l_)
    assert tree.inclusion_proof(0, 7) == [b, h, l_]
    assert tree.inclusion_proof(3, 7) == [c, g, l_]
    assert tree.inclusion_proof(4, 7) == [f, j, k]
    assert tree.inclusion_proof(6, 7) == [i, k]
    assert tree.consistency_proof(3, 7) == [c, d, g, l_]
    assert tree.consistency_proof(4, 7) == [l_]
    assert tree.consistency_proof(6, 7) == [i, j, k]


# --- Every size, index and old size against the reference ---


def test_roots_match_reference(tree: MerkleTree, data: list[bytes]) -> None:
    for n in range(MAX_SIZE + 1):
        assert tree.root(n) == ref_mth(data[:n]), n


def test_inclusion_proofs_match_reference_and_verify(tree: MerkleTree, data: list[bytes]) -> None:
    for n in range(1, MAX_SIZE + 1):
        root = tree.root(n)
        for m in range(n):
            proof = tree.inclusion_proof(m, n)
            assert proof == ref_path(m, data[:n]), (m, n)
            verify_inclusion(leaf_hash(data[m]), m, n, proof, root)


def test_consistency_proofs_match_reference_and_verify(tree: MerkleTree, data: list[bytes]) -> None:
    for n in range(1, MAX_SIZE + 1):
        for m in range(1, n + 1):
            proof = tree.consistency_proof(m, n)
            expected = ref_subproof(m, data[:n], True) if m < n else []
            assert proof == expected, (m, n)
            verify_consistency(m, n, tree.root(m), tree.root(n), proof)


def test_incremental_growth_matches_bulk(data: list[bytes]) -> None:
    tree = MerkleTree()
    for n, entry in enumerate(data, start=1):
        assert tree.append(leaf_hash(entry)) == n - 1
        assert tree.root() == ref_mth(data[:n])
    assert len(tree) == MAX_SIZE and tree.leaf(3) == leaf_hash(data[3])


# --- Attacks on inclusion proofs, for every size and index ---


def flip(value: bytes) -> bytes:
    return bytes([value[0] ^ 1]) + value[1:]


def test_tampered_inclusion_proofs_fail(tree: MerkleTree, data: list[bytes]) -> None:
    for n in range(1, MAX_SIZE + 1):
        root = tree.root(n)
        for m in range(n):
            leaf, proof = leaf_hash(data[m]), tree.inclusion_proof(m, n)
            attempts: list[tuple[bytes, int, int, list[bytes], bytes]] = [
                (flip(leaf), m, n, proof, root),  # another entry
                (leaf, m, n, proof, flip(root)),  # another root
                (leaf, m, n, [*proof, leaf], root),  # an extra element
            ]
            attempts += [
                (leaf, m, n, [*proof[:i], flip(p), *proof[i + 1 :]], root)
                for i, p in enumerate(proof)
            ]
            if proof:
                attempts.append((leaf, m, n, proof[:-1], root))  # truncated
            if n > 1:
                attempts.append((leaf, (m + 1) % n, n, proof, root))  # wrong index
                attempts.append((leaf, (m - 1) % n, n, proof, root))
            # A wrong size, with the genuine root of that size (a bare root does not carry its
            # size: that binding comes from the signed checkpoint).
            for other in (n - 1, n + 1):
                if m < other <= MAX_SIZE and tree.inclusion_proof(m, other) != proof:
                    attempts.append((leaf, m, other, proof, tree.root(other)))
            for attempt in attempts:
                with pytest.raises(BadProof):
                    verify_inclusion(*attempt)


@pytest.mark.parametrize(("index", "size"), [(-1, 5), (5, 5), (0, 0), (6, 5)])
def test_inclusion_index_outside_tree(tree: MerkleTree, index: int, size: int) -> None:
    with pytest.raises(BadProof):
        verify_inclusion(tree.leaf(0), index, size, tree.inclusion_proof(0, 5), tree.root(5))


def test_inclusion_proof_with_malformed_elements(tree: MerkleTree) -> None:
    proof, root = tree.inclusion_proof(2, 8), tree.root(8)
    for bad in ([proof[0][:31], *proof[1:]], b"".join(proof), [*proof[:-1], "x" * 32]):
        with pytest.raises(BadProof):
            verify_inclusion(tree.leaf(2), 2, 8, bad, root)  # type: ignore[arg-type]  # attack


# --- Attacks on consistency proofs ---


def test_tampered_consistency_proofs_fail(tree: MerkleTree) -> None:
    for n in range(2, MAX_SIZE + 1):
        for m in range(1, n):
            proof, old, new = tree.consistency_proof(m, n), tree.root(m), tree.root(n)
            attempts: list[tuple[int, int, bytes, bytes, list[bytes]]] = [
                (m, n, flip(old), new, proof),
                (m, n, old, flip(new), proof),
                (m, n, old, new, proof[:-1]),
                (m, n, old, new, [*proof, old]),
                (m, n, old, new, []),
                (m, n, old, new, proof[1:]),
                (m, n, new, old, proof),  # roots swapped
            ]
            attempts += [
                (m, n, old, new, [*proof[:i], flip(p), *proof[i + 1 :]])
                for i, p in enumerate(proof)
            ]
            # Wrong sizes, each with the genuine roots of those sizes.
            for other_m, other_n in ((m - 1, n), (m + 1, n), (m, n - 1), (m, n + 1)):
                if 0 < other_m < other_n <= MAX_SIZE:
                    if tree.consistency_proof(other_m, other_n) != proof:
                        attempts.append(
                            (other_m, other_n, tree.root(other_m), tree.root(other_n), proof)
                        )
            for attempt in attempts:
                with pytest.raises(BadProof):
                    verify_consistency(*attempt)


def test_rewritten_leaf_breaks_consistency_with_an_old_root(data: list[bytes]) -> None:
    honest = MerkleTree(leaf_hash(e) for e in data[:10])
    old_root = honest.root()
    rewritten = [*data[:3], b"entry 3, quietly edited", *data[4:]]
    forged = MerkleTree(leaf_hash(e) for e in rewritten)
    for new_size in range(10, MAX_SIZE + 1):
        proof = forged.consistency_proof(10, new_size)
        with pytest.raises(BadProof):
            verify_consistency(10, new_size, old_root, forged.root(new_size), proof)
    honest_grown = MerkleTree(leaf_hash(e) for e in data)
    verify_consistency(
        10, MAX_SIZE, old_root, honest_grown.root(), honest_grown.consistency_proof(10)
    )


def test_consistency_edge_sizes(tree: MerkleTree) -> None:
    verify_consistency(5, 5, tree.root(5), tree.root(5), [])
    verify_consistency(0, 5, EMPTY_ROOT, tree.root(5), [])
    for attempt in [
        (5, 5, tree.root(5), tree.root(6), []),
        (5, 5, tree.root(5), tree.root(5), [tree.root(5)]),
        (0, 5, tree.root(1), tree.root(5), []),
        (6, 5, tree.root(6), tree.root(5), tree.consistency_proof(5, 6)),
        (-1, 5, tree.root(5), tree.root(5), []),
    ]:
        with pytest.raises(BadProof):
            verify_consistency(*attempt)


def test_tree_refuses_bad_arguments(tree: MerkleTree) -> None:
    with pytest.raises(ValueError):
        MerkleTree([b"short"])
    for call in (
        lambda: tree.root(MAX_SIZE + 1),
        lambda: tree.inclusion_proof(5, 5),
        lambda: tree.inclusion_proof(-1, 5),
        lambda: tree.consistency_proof(6, 5),
        lambda: tree.consistency_proof(1, MAX_SIZE + 1),
    ):
        with pytest.raises(ValueError):
            call()


def test_hundred_thousand_leaves_build_and_root_quickly() -> None:
    leaves = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(100_000)]
    started = time.perf_counter()
    tree = MerkleTree(leaves)
    root = tree.root()
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"build + root took {elapsed:.3f}s"
    proof = tree.inclusion_proof(77_777)
    verify_inclusion(leaves[77_777], 77_777, 100_000, proof, root)
    verify_consistency(65_537, 100_000, tree.root(65_537), root, tree.consistency_proof(65_537))
