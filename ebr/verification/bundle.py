"""Exporting one batch as a self-contained bundle an auditor verifies on another machine.

The bundle carries the batch's whole chain: its step records and the signed decisions on it,
its deviations and its holds, each with the certificate of the key that signed it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from sqlalchemy import Engine
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from ebr.domain.subjects import ChainKind
from ebr.store.audit import AuditRow, leaf_hashes
from ebr.store.batches import get_batch
from ebr.store.checkpoints import latest_checkpoint
from ebr.store.keys import get_key
from ebr.store.signed_records import SignedRecordRow
from ebr.verification.checkpoints import checkpoint_of
from ebr.verification.evidence import KeyEvidence, RecordEvidence
from ebr.verification.findings import SetupProblem
from signatures.ca import certificate_pem
from signatures.merkle import MerkleTree

__all__ = ["BUNDLE_FORMAT", "export_bundle"]

BUNDLE_FORMAT = "ebr.bundle/2"
"""``ebr.bundle/2`` carries ``signed_records`` rows (``ebr.record/2`` payloads) of the batch's
chain; ``ebr.bundle/1`` carried step records of a format no longer read."""


def export_bundle(
    engine: Engine,
    *,
    batch_id: str,
    ca: x509.Certificate,
    checkpoint_certificate: x509.Certificate,
) -> dict[str, Any]:
    """Collect a batch's evidence: header, its chain's records, certificates, audit entries with
    proofs.

    Each of the batch's audit entries carries its RFC 9162 inclusion proof against the latest
    checkpoint, which is included. Nothing is written to the store (this runs offline, on a
    read-only engine).

    Raises:
        SetupProblem: no such batch; no checkpoint yet, or the latest does not cover the
            batch's entries (write one: ``ebr checkpoint``); or the store's log does not match
            its latest checkpoint (run ``ebr verify``).
    """
    with Session(engine) as session:
        batch = get_batch(session=session, batch_id=batch_id)
        if batch is None:
            raise SetupProblem(f"there is no batch {batch_id!r}")
        table = SignedRecordRow.__table__  # type: ignore[attr-defined]  # SQLModel sets it
        query = (
            core_select(table)
            .where(table.c.chain_kind == ChainKind.BATCH.value, table.c.chain_id == batch_id)
            .order_by(table.c.seq)
        )
        records = [RecordEvidence.of(r._mapping) for r in session.connection().execute(query)]
        keys: dict[str, Any] = {}
        for key_id in sorted({r.key_id for r in records}):
            row = get_key(session=session, key_id=key_id)
            if row is not None:  # a missing key is for the verifier to report
                keys[key_id] = KeyEvidence(
                    key_id=row.key_id,
                    user_id=row.user_id,
                    certificate_pem=row.certificate_pem,
                    valid_from=row.valid_from,
                    retired_at=row.retired_at,
                ).to_json()
        entries = session.exec(
            select(AuditRow).where(AuditRow.batch_id == batch_id).order_by(col(AuditRow.idx))
        ).all()
        checkpoint_row = latest_checkpoint(session=session)
        if checkpoint_row is None:
            raise SetupProblem(_NOT_COVERED.format(what="the audit log has no checkpoint yet"))
        checkpoint = checkpoint_of(checkpoint_row)
        size = checkpoint.tree_size
        if entries and entries[-1].idx >= size:
            raise SetupProblem(
                _NOT_COVERED.format(
                    what=f"the latest checkpoint covers {size} entries, but the batch's "
                    f"entries reach idx {entries[-1].idx}"
                )
            )
        tree = MerkleTree(leaf_hashes(session=session, upto=size))
        if tree.size != size or tree.root() != checkpoint.root_hash:
            raise SetupProblem(
                f"the audit log does not match its checkpoint of size {size}; run `ebr verify`"
            )
        header = batch.model_dump(mode="json")
    return {
        "format": BUNDLE_FORMAT,
        "exported_at": datetime.now(UTC).isoformat(),
        "batch": header,
        "records": [record.to_json() for record in records],
        "certificates": keys,
        "ca_certificate": certificate_pem(ca),
        "checkpoint_certificate": certificate_pem(checkpoint_certificate),
        "audit": [
            {
                "idx": entry.idx,
                "canonical": entry.canonical,
                "leaf_hash": entry.leaf_hash,
                "proof": [node.hex() for node in tree.inclusion_proof(entry.idx, size)],
            }
            for entry in entries
        ],
        "checkpoint": json.loads(checkpoint.to_json()),
    }


_NOT_COVERED = (
    "{what}; sign one first (`ebr checkpoint`, or wait for the worker's checkpoint schedule), "
    "then export again"
)
