"""The audit checkpoint that covers a report's batch, attached to the report as ``checkpoint.json``.

A report carries its batch's audit entries; the checkpoint the site signed over the whole log
(RFC 9162), with an inclusion proof for each of those entries, commits the site to them: a reader
who keeps the report can later show that the log still holds every entry it attached, and
``ebr verify-pdf`` checks the proofs and the checkpoint's signature offline. A batch is decided
only after a checkpoint is signed (the batch workflow signs one), so a final report is covered;
a draft made while entries were newer than the latest checkpoint carries none, and says so.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from cryptography import x509
from sqlmodel import Session

from ebr.store.audit import leaf_hashes
from ebr.store.checkpoints import latest_checkpoint
from ebr.verification.certificates import check_site_certificate
from ebr.verification.findings import Inconsistency
from signatures.ca import certificate_pem
from signatures.checkpoints import Checkpoint, verify_checkpoint
from signatures.errors import BadProof, SignatureError
from signatures.merkle import MerkleTree, leaf_hash, verify_inclusion

__all__ = ["COVERAGE_FORMAT", "CoverageRefused", "check_coverage", "covering_checkpoint"]

COVERAGE_FORMAT = "ebr.report-checkpoint/1"


class CoverageRefused(Exception):
    """checkpoint.json does not prove what it claims."""


def covering_checkpoint(
    *, session: Session, entries: Sequence[dict[str, Any]], certificate: x509.Certificate
) -> dict[str, Any] | None:
    """The latest checkpoint with an inclusion proof of each of ``entries`` (the report's audit
    entries), or None when it does not cover them all or does not match the log."""
    row = latest_checkpoint(session=session)
    if row is None:
        return None
    checkpoint = Checkpoint.from_json(row.document)
    size = checkpoint.tree_size
    if any(int(entry["idx"]) >= size for entry in entries):
        return None
    tree = MerkleTree(leaf_hashes(session=session, upto=size))
    if tree.size != size or tree.root() != checkpoint.root_hash:
        return None
    return {
        "format": COVERAGE_FORMAT,
        "checkpoint": json.loads(checkpoint.to_json()),
        "checkpoint_certificate": certificate_pem(certificate),
        "proofs": {
            str(entry["idx"]): [
                node.hex() for node in tree.inclusion_proof(int(entry["idx"]), size)
            ]
            for entry in entries
        },
    }


def check_coverage(data: bytes, entries: Sequence[dict[str, Any]], ca: x509.Certificate) -> int:
    """Check checkpoint.json against the report's audit entries: the checkpoint certificate is
    the CA's, the checkpoint is signed by it, and each entry is in the log it signed. Returns the
    checkpoint's tree size.

    Raises:
        CoverageRefused: naming what does not hold.
    """
    try:
        body = json.loads(data)
        if body.get("format") != COVERAGE_FORMAT:
            raise CoverageRefused(f"format is {body.get('format')!r}, not {COVERAGE_FORMAT}")
        checkpoint = Checkpoint.from_json(json.dumps(body["checkpoint"]))
        certificate = x509.load_pem_x509_certificate(body["checkpoint_certificate"].encode())
        proofs = {int(k): [bytes.fromhex(n) for n in v] for k, v in body["proofs"].items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CoverageRefused(f"malformed: {exc!r}") from None
    try:
        key = check_site_certificate(certificate, ca, at=checkpoint.timestamp, entry="report")
        verify_checkpoint(key, checkpoint)
    except (Inconsistency, SignatureError) as exc:
        raise CoverageRefused(f"the checkpoint is refused: {exc}") from None
    for entry in entries:
        idx = int(entry["idx"])
        leaf = leaf_hash(str(entry["canonical"]).encode("utf-8"))
        try:
            verify_inclusion(leaf, idx, checkpoint.tree_size, proofs[idx], checkpoint.root_hash)
        except KeyError:
            raise CoverageRefused(f"idx {idx} has no inclusion proof") from None
        except BadProof as exc:
            raise CoverageRefused(
                f"idx {idx} is not in the log the checkpoint of size {checkpoint.tree_size} "
                f"signed: {exc.message}"
            ) from None
    return checkpoint.tree_size
