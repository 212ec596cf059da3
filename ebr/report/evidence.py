"""The machine-readable evidence a report attaches: records, audit entries, certificates."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session

from ebr.report.history import AuditLine
from ebr.store.audit import AuditRow, list_audit
from ebr.store.keys import get_key
from ebr.store.signed_records import SignedRecordRow
from ebr.verification.evidence import RecordEvidence

__all__ = ["audit_evidence", "audit_line", "certificates_of", "record_evidence"]

_PAGE = 1000
_DETAIL = 160


def record_evidence(row: SignedRecordRow) -> dict[str, Any]:
    """A record's columns and signed evidence, as ``RecordEvidence.to_json`` writes them (and
    ``ebr verify --bundle`` and ``verify-pdf`` read them)."""
    return RecordEvidence.of(row.model_dump()).to_json()


def audit_evidence(*, session: Session, batch_id: str) -> list[dict[str, Any]]:
    """Every audit entry of the batch, in log order, with its canonical text and leaf hash."""
    entries: list[dict[str, Any]] = []
    while True:
        rows = list_audit(session=session, batch_id=batch_id, limit=_PAGE, offset=len(entries))
        entries.extend(_audit_json(row) for row in rows)
        if len(rows) < _PAGE:
            return entries


def _audit_json(row: AuditRow) -> dict[str, Any]:
    data = row.model_dump(mode="json")
    data["at"] = row.at.isoformat()
    return data


def audit_line(entry: dict[str, Any]) -> AuditLine:
    """An audit entry as the appendix prints it; the values are shortened to one line."""
    detail = ""
    if entry.get("new_value") is not None:
        detail = json.dumps(entry["new_value"], ensure_ascii=False, separators=(", ", ": "))
        if len(detail) > _DETAIL:
            detail = detail[: _DETAIL - 1] + "…"
    return AuditLine(
        idx=entry["idx"],
        at=entry["at"],
        actor=entry["actor"],
        station=entry["station"],
        action=entry["action"],
        entity=entry["entity"],
        entity_id=entry["entity_id"],
        reason=entry.get("reason"),
        detail=detail,
    )


def certificates_of(*, session: Session, rows: list[SignedRecordRow]) -> str:
    """The PEM certificates of every key that signed one of ``rows``, each once, in first use."""
    seen: dict[str, str] = {}
    for row in rows:
        if row.key_id not in seen:
            key = get_key(session=session, key_id=row.key_id)
            if key is not None:
                seen[row.key_id] = key.certificate_pem.strip() + "\n"
    return "".join(seen.values())
