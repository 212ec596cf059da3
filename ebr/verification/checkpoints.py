"""Checking the stored checkpoints: each row against its signed document, signature, root, growth."""

from __future__ import annotations

import base64
from collections.abc import Sequence

from cryptography import x509

from ebr.store.checkpoints import CheckpointRow
from ebr.verification.certificates import check_site_certificate
from ebr.verification.findings import Inconsistency
from signatures.checkpoints import Checkpoint, verify_checkpoint
from signatures.errors import BadProof, BadSignature, MalformedInput
from signatures.merkle import MerkleTree, verify_consistency

__all__ = ["check_checkpoints", "checkpoint_of"]

TABLE = "audit_checkpoints"


def checkpoint_of(row: CheckpointRow) -> Checkpoint:
    """The checkpoint a row's document holds, after checking the row's columns agree with it.

    Raises:
        Inconsistency: the document is malformed or a column says something else.
    """
    entry = f"size {row.tree_size}"
    try:
        checkpoint = Checkpoint.from_json(row.document)
    except MalformedInput as exc:
        raise Inconsistency(table=TABLE, entry=entry, problem=exc.message) from None
    columns = {
        "tree_size": (row.tree_size, checkpoint.tree_size),
        "root_hash": (row.root_hash, checkpoint.root_hash.hex()),
        "at": (row.at, checkpoint.timestamp),
        "origin": (row.origin, checkpoint.origin),
        "key_id": (row.key_id, checkpoint.key_id),
        "signature": (row.signature, base64.b64encode(checkpoint.signature).decode("ascii")),
    }
    for column, (stored, signed) in columns.items():
        if stored != signed:
            raise Inconsistency(
                table=TABLE,
                entry=entry,
                problem=f"column {column} is {stored!r} but the signed document says {signed!r}",
            )
    return checkpoint


def check_checkpoints(
    rows: Sequence[CheckpointRow],
    tree: MerkleTree,
    certificate: x509.Certificate,
    ca: x509.Certificate,
) -> Checkpoint | None:
    """Check every checkpoint (smallest first) against the log's tree; return the latest.

    The checkpoint certificate is checked against the CA; per checkpoint: the row agrees with
    its document, the certificate was valid at its time, the signature verifies, the root is
    the Merkle root of the first ``tree_size`` leaves, and it is consistent with the one before
    (a consistency proof computed from the leaves, verified as an auditor would).

    Raises:
        Inconsistency: table ``audit_checkpoints``, entry ``size <n>``.
    """
    latest: Checkpoint | None = None
    key = None
    for row in rows:
        checkpoint = checkpoint_of(row)
        entry = f"size {checkpoint.tree_size}"
        at = checkpoint.timestamp
        if key is None:
            key = check_site_certificate(certificate, ca, at=at, entry=entry)
        start = max(certificate.not_valid_before_utc, ca.not_valid_before_utc)
        if not start <= at <= min(certificate.not_valid_after_utc, ca.not_valid_after_utc):
            raise Inconsistency(
                table=TABLE,
                entry=entry,
                problem="signed outside the checkpoint certificate's validity",
            )
        try:
            verify_checkpoint(key, checkpoint)
        except BadSignature as exc:
            raise Inconsistency(table=TABLE, entry=entry, problem=exc.message) from None
        if checkpoint.tree_size > tree.size:
            raise Inconsistency(
                table=TABLE,
                entry=entry,
                problem=f"signs {checkpoint.tree_size} entries but the log holds {tree.size}: "
                "entries were removed",
            )
        if tree.root(checkpoint.tree_size) != checkpoint.root_hash:
            raise Inconsistency(
                table=TABLE,
                entry=entry,
                problem=f"the root is not the Merkle root of the first {checkpoint.tree_size} "
                "entries: an entry under it was changed, moved or removed",
            )
        if latest is not None:
            _check_consistent(latest, checkpoint, tree)
        latest = checkpoint
    return latest


def _check_consistent(old: Checkpoint, new: Checkpoint, tree: MerkleTree) -> None:
    try:
        proof = tree.consistency_proof(old.tree_size, new.tree_size)
        verify_consistency(old.tree_size, new.tree_size, old.root_hash, new.root_hash, proof)
    except BadProof as exc:
        raise Inconsistency(
            table=TABLE,
            entry=f"size {new.tree_size}",
            problem=f"not consistent with checkpoint size {old.tree_size}: {exc.message}",
        ) from None
