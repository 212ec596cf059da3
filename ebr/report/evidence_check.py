"""Checking a report's attached evidence offline: certificates, signed records, audit entries."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from pydantic import ValidationError

from ebr.audit import body_of
from ebr.domain.subjects import ChainKind
from ebr.report.history import REPORT_FORMAT
from ebr.store.audit import AuditRow
from ebr.verification.certificates import TrustedKey, check_user_keys
from ebr.verification.evidence import KeyEvidence, RecordEvidence
from ebr.verification.findings import Inconsistency
from ebr.verification.signed_records import check_signed_records
from signatures.ca import (
    certificate_fingerprint,
    certificate_user_id,
    load_certificate_pem,
    signer_public_key,
)
from signatures.canonical import canonical_json
from signatures.errors import SignatureError
from signatures.keys import public_key_id

__all__ = [
    "EvidenceRefused",
    "RecordsFile",
    "check_audit",
    "check_certificates",
    "check_records_file",
]

_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)


class EvidenceRefused(Exception):
    """An attachment is missing, malformed, or contradicts the signatures; ``where`` names it."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


@dataclass(frozen=True)
class RecordsFile:
    """records.json, checked: the batch's chain, in seq order, every signature verified."""

    batch_id: str
    batch_number: str
    recipe_hash: str
    records: list[RecordEvidence]


def check_certificates(data: bytes, ca: x509.Certificate) -> dict[str, TrustedKey]:
    """Parse certificates.pem: the CA in it must be ``ca``; every other one a user key it issued.

    A key's ``valid_from`` is taken as its certificate's start, and retirement is unknown
    (the store knows it; a report does not carry it).
    """
    where = "certificates.pem"
    keys: list[KeyEvidence] = []
    saw_ca = False
    for block in _PEM.findall(data):
        try:
            cert = load_certificate_pem(block)
        except SignatureError as exc:
            raise EvidenceRefused(where, exc.message) from None
        if _is_ca(cert):
            if certificate_fingerprint(cert) != certificate_fingerprint(ca):
                raise EvidenceRefused(where, "the CA certificate in it is not the site CA given")
            saw_ca = True
            continue
        try:
            key_id = public_key_id(signer_public_key(cert))
        except SignatureError as exc:
            raise EvidenceRefused(
                where, f"{cert.subject.rfc4514_string()}: {exc.message}"
            ) from None
        keys.append(
            KeyEvidence(
                key_id=key_id,
                user_id=certificate_user_id(cert) or "",
                certificate_pem=block.decode("ascii"),
                valid_from=cert.not_valid_before_utc,
                retired_at=None,
            )
        )
    if not saw_ca:
        raise EvidenceRefused(where, "it does not hold the site CA certificate")
    try:
        return check_user_keys(keys, ca)
    except Inconsistency as exc:
        raise EvidenceRefused(where, f"{exc.entry}: {exc.problem}") from None


def check_records_file(data: bytes, keys: Mapping[str, TrustedKey]) -> RecordsFile:
    """Parse records.json and check that every record is of the batch's chain, then each as
    ``ebr verify`` does: columns against payload, signature, the chain's order and links, the
    batch's recipe hash."""
    where = "records.json"
    try:
        body = json.loads(data)
        _check_format(body)
        batch_id, recipe_hash = str(body["batch_id"]), str(body["recipe_hash"])
        records = [RecordEvidence.from_json(item) for item in body["records"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise EvidenceRefused(where, f"malformed: {exc!r}") from None
    strangers = [r.record_id for r in records if r.chain_key != (ChainKind.BATCH, batch_id)]
    if strangers:
        raise EvidenceRefused(
            where, f"record {strangers[0]} is not of the chain of batch {batch_id}"
        )
    records.sort(key=lambda r: r.seq)
    try:
        check_signed_records(records, keys, {(ChainKind.BATCH, batch_id): recipe_hash})
    except Inconsistency as exc:
        raise EvidenceRefused(where, f"record {exc.entry}: {exc.problem}") from None
    return RecordsFile(
        batch_id=batch_id,
        batch_number=str(body.get("batch_number", batch_id)),
        recipe_hash=recipe_hash,
        records=records,
    )


def _check_format(body: Any) -> None:
    """An attachment of another format (``ebr.report/1``'s step records) is refused by name."""
    found = body.get("format") if isinstance(body, dict) else None
    if found != REPORT_FORMAT:
        raise ValueError(f"format {found!r}, not {REPORT_FORMAT}")


def check_audit(data: bytes, records: RecordsFile) -> int:
    """Check audit.json: each entry's canonical text says its columns and its leaf hash is right,
    and every signed record has the entry that logged its signing, naming its record hash."""
    where = "audit.json"
    logged: dict[str, Any] = {}
    try:
        body = json.loads(data)
        _check_format(body)
        entries = body["entries"]
        for entry in entries:
            row = AuditRow.model_validate({**entry, "at": datetime.fromisoformat(entry["at"])})
            if canonical_json(body_of(row)).decode("utf-8") != row.canonical:
                raise EvidenceRefused(
                    where, f"idx {row.idx}: its columns do not say what canonical says"
                )
            leaf = hashlib.sha256(b"\x00" + row.canonical.encode("utf-8")).hexdigest()
            if leaf != row.leaf_hash:
                raise EvidenceRefused(
                    where, f"idx {row.idx}: leaf_hash is not the hash of canonical"
                )
            if row.entity == "signed_record" and isinstance(row.new_value, dict):
                logged[row.entity_id] = row.new_value.get("record_hash")
    except (ValueError, KeyError, TypeError, ValidationError, SignatureError) as exc:
        raise EvidenceRefused(where, f"malformed: {exc!r}") from None
    for record in records.records:
        if logged.get(record.record_id) != record.record_hash:
            raise EvidenceRefused(
                where, f"no entry logs the signing of record {record.record_id} with its hash"
            )
    return len(entries)


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False
