"""Verifying an exported bundle alone: it trusts nothing but the CA certificate it is given."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ebr.domain.subjects import ChainKind, SubjectKind
from ebr.verification.audit_log import check_record_entries, note_record_entry
from ebr.verification.bundle import BUNDLE_FORMAT
from ebr.verification.certificates import check_site_certificate, check_user_keys
from ebr.verification.evidence import KeyEvidence, RecordEvidence
from ebr.verification.findings import Inconsistency
from ebr.verification.signed_records import TABLE, check_signed_records
from signatures.ca import certificate_fingerprint, load_certificate_pem
from signatures.checkpoints import Checkpoint, verify_checkpoint
from signatures.errors import BadProof, BadSignature, SignatureError
from signatures.merkle import leaf_hash, verify_inclusion

__all__ = ["BundleSummary", "verify_bundle"]


@dataclass(frozen=True)
class BundleSummary:
    """What a bundle held: ``records`` signed records of the batch's chain, ``decisions`` of
    them signed decisions (on the batch, its deviations, its holds); ``ca_from_bundle`` says the
    CA was not given by the auditor."""

    batch_id: str
    records: int
    decisions: int
    keys: int
    audit_entries: int
    checkpoint_size: int
    ca_fingerprint: str
    ca_from_bundle: bool


def verify_bundle(bundle: Any, *, ca: x509.Certificate | None) -> BundleSummary:
    """Check a bundle ``export_bundle`` made (its parsed JSON).

    Checks: the format; the bundle's CA is ``ca`` (when given; else it is trusted from the
    bundle, which the caller must say); every key certificate against that CA; that every
    record is of the batch's chain; every record as ``check_signed_records`` checks it (payload,
    columns, signature, the chain's order and links, the batch's recipe hash); the checkpoint
    certificate and the checkpoint's signature; each audit entry's leaf hash, batch and
    inclusion proof against the checkpoint; that signed records and their audit entries name
    each other. Records and entries of one batch cannot show that the bundle holds all of them
    beyond that: the chain shows none is missing before the last.

    Raises:
        Inconsistency: the first problem (table ``bundle`` for the bundle's own structure).
    """
    try:
        if bundle.get("format") != BUNDLE_FORMAT:
            raise ValueError(f"not an {BUNDLE_FORMAT} bundle")
        bundled_ca = load_certificate_pem(bundle["ca_certificate"])
        batch_id = str(bundle["batch"]["batch_id"])
        recipe_hash = str(bundle["batch"]["recipe_hash"])
        keys = [KeyEvidence.from_json(k) for k in bundle["certificates"].values()]
        named = list(bundle["certificates"])
        records = [RecordEvidence.from_json(r) for r in bundle["records"]]
        checkpoint = Checkpoint.from_json(json.dumps(bundle["checkpoint"]))
        checkpoint_cert = load_certificate_pem(bundle["checkpoint_certificate"])
        entries = list(bundle["audit"])
    except (AttributeError, KeyError, TypeError, ValueError, SignatureError) as exc:
        raise Inconsistency(
            table="bundle", entry="structure", problem=f"malformed: {exc}"
        ) from None
    if ca is not None and _der(ca) != _der(bundled_ca):
        raise Inconsistency(
            table="bundle",
            entry="ca_certificate",
            problem="the bundle's CA certificate is not the CA given with --ca",
        )
    anchor = ca or bundled_ca
    if named != [k.key_id for k in keys]:
        raise Inconsistency(table="bundle", entry="certificates", problem="keys are misfiled")
    trusted = check_user_keys(keys, anchor)
    for record in records:
        if record.chain_key != (ChainKind.BATCH, batch_id):
            raise Inconsistency(
                table=TABLE,
                entry=record.record_id,
                problem=f"not of the chain of batch {batch_id}",
            )
    stats = check_signed_records(records, trusted, {(ChainKind.BATCH, batch_id): recipe_hash})
    key = check_site_certificate(
        checkpoint_cert, anchor, at=checkpoint.timestamp, entry=f"size {checkpoint.tree_size}"
    )
    try:
        verify_checkpoint(key, checkpoint)
    except BadSignature as exc:
        raise Inconsistency(
            table="audit_checkpoints", entry=f"size {checkpoint.tree_size}", problem=exc.message
        ) from None
    noted: dict[str, tuple[int, str]] = {}
    for entry in entries:
        _check_entry(entry, batch_id, checkpoint, noted)
    check_record_entries(stats.hashes, noted)
    return BundleSummary(
        batch_id=batch_id,
        records=stats.signed,
        decisions=sum(1 for r in records if SubjectKind(r.subject_kind).is_decision),
        keys=len(keys),
        audit_entries=len(entries),
        checkpoint_size=checkpoint.tree_size,
        ca_fingerprint=certificate_fingerprint(anchor),
        ca_from_bundle=ca is None,
    )


def _check_entry(
    entry: Mapping[str, Any],
    batch_id: str,
    checkpoint: Checkpoint,
    noted: dict[str, tuple[int, str]],
) -> None:
    where = f"idx {entry.get('idx')}"
    try:
        idx, canonical = entry["idx"], str(entry["canonical"])
        proof = [bytes.fromhex(node) for node in entry["proof"]]
        body = json.loads(canonical)
        if type(idx) is not int or not isinstance(body, dict):
            raise ValueError("idx is not an integer or canonical is not an object")
    except (KeyError, TypeError, ValueError) as exc:
        raise Inconsistency(table="audit_log", entry=where, problem=f"malformed: {exc}") from None
    leaf = leaf_hash(canonical.encode("utf-8"))
    if leaf.hex() != entry.get("leaf_hash"):
        raise Inconsistency(
            table="audit_log", entry=where, problem="leaf_hash is not the leaf hash of canonical"
        )
    if body.get("batch_id") != batch_id:
        raise Inconsistency(table="audit_log", entry=where, problem=f"not of batch {batch_id}")
    try:
        verify_inclusion(leaf, idx, checkpoint.tree_size, proof, checkpoint.root_hash)
    except BadProof as exc:
        raise Inconsistency(
            table="audit_log",
            entry=where,
            problem=f"not in the log the checkpoint of size {checkpoint.tree_size} signed: "
            f"{exc.message}",
        ) from None
    note_record_entry(noted, idx, body)


def _der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)
