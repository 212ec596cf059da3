"""Audit trail entries: who did what, when, from where, old value to new, and why.

Every entry is canonical JSON (RFC 8785); its leaf hash enters the audit log's Merkle tree, whose
signed checkpoints make any later change, removal or reordering detectable offline.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from ebr.domain.meanings import Meaning
from ebr.domain.signed_records import RecordPayload
from ebr.store.audit import AuditEntryIn, AuditRow, append_audit
from ebr.store.recipes import RecipeRow
from signatures.canonical import canonical_json
from signatures.merkle import leaf_hash

SYSTEM = "system"


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_body(
    *,
    at: datetime,
    actor: str,
    station: str,
    action: str,
    entity: str,
    entity_id: str,
    batch_id: str | None,
    old_value: Any,
    new_value: Any,
    reason: str | None,
) -> dict[str, Any]:
    """The canonical content of an entry: every column an auditor reads, nothing else."""
    return {
        "format": "ebr.audit/1",
        "at": utc_text(at),
        "actor": actor,
        "station": station,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "batch_id": batch_id,
        "old_value": old_value,
        "new_value": new_value,
        "reason": reason,
    }


def make_entry(*, event_key: str, **fields: Any) -> AuditEntryIn:
    canonical = canonical_json(entry_body(**fields)).decode("utf-8")
    return AuditEntryIn(
        event_key=event_key,
        canonical=canonical,
        leaf_hash=leaf_hash(canonical.encode("utf-8")).hex(),
        **fields,
    )


def audit(
    session: Session,
    *,
    event_key: str,
    at: datetime,
    actor: str,
    station: str,
    action: str,
    entity: str,
    entity_id: str,
    batch_id: str | None = None,
    old_value: Any = None,
    new_value: Any = None,
    reason: str | None = None,
) -> AuditRow:
    """Append one entry in the caller's transaction; the same ``event_key`` is appended once."""
    row, _ = append_audit(
        session=session,
        entry=make_entry(
            event_key=event_key,
            at=at,
            actor=actor,
            station=station,
            action=action,
            entity=entity,
            entity_id=entity_id,
            batch_id=batch_id,
            old_value=old_value,
            new_value=new_value,
            reason=reason,
        ),
    )
    return row


def audit_record_signed(
    session: Session,
    payload: RecordPayload,
    digest: str,
    *,
    old_values: object = None,
    projection: dict[str, object] | None = None,
) -> AuditRow:
    """A signed record's audit entry (entity ``signed_record``, its hash in ``new_value``), which
    ``ebr verify`` pairs with the record; a batch's record also says the batch row as the record
    leaves it (``projection``: status, steps done), which ``ebr verify`` holds the row to."""
    record_id = payload.record_id()
    batch = {"batch": projection} if projection is not None else {}
    corrected = payload.meaning is Meaning.CORRECTED
    return audit(
        session,
        event_key=f"{record_id}/signed",
        at=payload.signed_at,
        actor=payload.signer.user_id,
        station=payload.station,
        action="record_corrected" if corrected else "record_signed",
        entity="signed_record",
        entity_id=record_id,
        batch_id=payload.batch_id,
        old_value=old_values,
        new_value={
            "subject": payload.subject.model_dump(mode="json"),
            "meaning": payload.meaning.value,
            "values": [v.model_dump(mode="json") for v in payload.values],
            "comment": payload.comment,
            "record_hash": digest,
            **batch,
        },
        reason=payload.reason,
    )


def body_of(row: AuditRow) -> dict[str, Any]:
    """The body the row's columns say; an auditor compares it with the row's canonical text."""
    return entry_body(
        at=row.at,
        actor=row.actor,
        station=row.station,
        action=row.action,
        entity=row.entity,
        entity_id=row.entity_id,
        batch_id=row.batch_id,
        old_value=row.old_value,
        new_value=row.new_value,
        reason=row.reason,
    )


def audit_recipe_loaded(session: Session, *, row: RecipeRow, actor: str, station: str) -> None:
    """Master data: each content saved for a recipe version (a draft's revision) is audited."""
    audit(
        session,
        event_key=f"recipe/{row.code}/{row.version}/{row.revision}/saved",
        at=row.loaded_at,
        actor=actor,
        station=station,
        action="recipe_draft_saved",
        entity="recipe",
        entity_id=f"{row.code}/{row.version}",
        new_value={
            "revision": row.revision,
            "content_hash": row.content_hash,
            "name": row.name,
            "step_count": row.step_count,
        },
    )
