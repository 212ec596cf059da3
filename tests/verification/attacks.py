"""Edits an attacker with database access makes, each with where ``ebr verify`` must point.

Each attack is ``edit(connection, site)``: plain SQL through SQLAlchemy Core, as someone who
bypasses the application would write it (the append-only triggers are dropped by the caller).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Table, delete, insert, select, update

from ebr.audit import body_of
from ebr.domain.records import Meaning
from ebr.store.audit import AuditRow
from ebr.store.batches import BatchRow
from ebr.store.checkpoints import CheckpointRow
from ebr.store.keys import UserKeyRow
from ebr.store.records import StepRecordRow
from signatures.ca import certificate_pem, create_site_ca, issue_user_certificate
from signatures.canonical import canonical_json
from signatures.checkpoints import sign_checkpoint
from signatures.merkle import leaf_hash
from tests.verification.site import Site, payload, sign

RECORDS: Table = StepRecordRow.__table__  # type: ignore[attr-defined]
AUDIT: Table = AuditRow.__table__  # type: ignore[attr-defined]
KEYS: Table = UserKeyRow.__table__  # type: ignore[attr-defined]
CHECKPOINTS: Table = CheckpointRow.__table__  # type: ignore[attr-defined]
BATCHES: Table = BatchRow.__table__  # type: ignore[attr-defined]
WEIGHED = "B-A/weigh-api/1/performed"  # seq 2 of batch B-A
VERIFIED = "B-A/weigh-api/1/verified"  # seq 3


@dataclass(frozen=True)
class Attack:
    name: str
    edit: Callable[[Connection, Site], None]
    table: str
    entry: str
    problem: str
    refused_by_triggers: bool = True  # an UPDATE or DELETE the triggers refuse


def record(connection: Connection, batch_id: str, seq: int) -> Any:
    query = select(RECORDS).where(RECORDS.c.batch_id == batch_id, RECORDS.c.seq == seq)
    return connection.execute(query).one()


def set_record(connection: Connection, record_id: str, **values: Any) -> None:
    connection.execute(update(RECORDS).where(RECORDS.c.record_id == record_id).values(**values))


def edit_values(connection: Connection, site: Site) -> None:
    row = record(connection, "B-A", 2)
    set_record(connection, WEIGHED, values=[{**row.values[0], "value": "24.00"}])


def edit_payload(connection: Connection, site: Site) -> None:
    set_record(
        connection, WEIGHED, payload=record(connection, "B-A", 2).payload.replace("25.01", "25.91")
    )


def edit_payload_rehashed(connection: Connection, site: Site) -> None:
    row = record(connection, "B-A", 2)
    forged = row.payload.replace('"25.01"', '"25.91"')
    values = [{**row.values[0], "value": "25.91"}]
    digest = hashlib.sha256(forged.encode()).hexdigest()
    set_record(connection, WEIGHED, payload=forged, record_hash=digest, values=values)


def swap_signature(connection: Connection, site: Site) -> None:
    set_record(connection, WEIGHED, signature=record(connection, "B-A", 4).signature)


def edit_prev_hash(connection: Connection, site: Site) -> None:
    set_record(connection, WEIGHED, prev_hash="f" * 64)


def delete_middle(connection: Connection, site: Site) -> None:
    connection.execute(delete(RECORDS).where(RECORDS.c.record_id == "B-A/weigh-api/1/verified"))


def delete_last(connection: Connection, site: Site) -> None:
    connection.execute(delete(RECORDS).where(RECORDS.c.record_id == "B-A/weigh-api/1/corrected/6"))


def reorder(connection: Connection, site: Site) -> None:
    set_record(connection, "B-A/clean-check/1/performed", seq=-4)
    set_record(connection, "B-A/mixer/1/performed", seq=4)
    set_record(connection, "B-A/clean-check/1/performed", seq=5)


def _forge(connection: Connection, site: Site, signer: str, key_owner: str) -> None:
    head = record(connection, "B-A", 6).record_hash
    content = payload(site, "B-A", 7, head, signer, "note", Meaning.PERFORMED)
    signature, key_id = sign(site.users[key_owner], content)
    data = canonical_json(content.signable()).decode()
    recorded = content.to_record().model_dump(mode="json")
    recorded["recorded_at"] = content.signed_at
    connection.execute(
        insert(RECORDS).values(
            **recorded,
            payload=data,
            record_hash=hashlib.sha256(data.encode()).hexdigest(),
            prev_hash=head,
            signature=signature,
            key_id=key_id,
            corrects=None,
        )
    )


def forge_with_other_key(connection: Connection, site: Site) -> None:
    _forge(connection, site, signer="olga", key_owner="omar")


def forge_appended(connection: Connection, site: Site) -> None:
    _forge(connection, site, signer="omar", key_owner="omar")


def replay_across_batches(connection: Connection, site: Site) -> None:
    row = record(connection, "B-A", 2)
    fields = ("payload", "record_hash", "prev_hash", "signature", "key_id")
    set_record(connection, "B-B/weigh-api/1/performed", **{f: getattr(row, f) for f in fields})


def replay_signature_only(connection: Connection, site: Site) -> None:
    set_record(
        connection, "B-B/weigh-api/1/performed", signature=record(connection, "B-A", 2).signature
    )


def foreign_certificate(connection: Connection, site: Site) -> None:
    now = datetime.now(UTC)
    other = create_site_ca(organization="Verification Test Site", common_name="Rogue CA", now=now)
    olga = site.users["olga"]
    cert = issue_user_certificate(
        other, user_id="olga", full_name="Olga Okafor", public_key=olga.key.public_key(), now=now
    )
    connection.execute(
        update(KEYS)
        .where(KEYS.c.key_id == olga.key_id)
        .values(certificate_pem=certificate_pem(cert))
    )


def set_audit(connection: Connection, position: int, **values: Any) -> None:
    connection.execute(update(AUDIT).where(AUDIT.c.idx == position).values(**values))


def edit_reason(connection: Connection, site: Site) -> None:
    set_audit(connection, site.entry_of[WEIGHED], reason="no reason at all")


def rewrite_entry(connection: Connection, idx: int) -> None:
    """Change an entry's reason and make canonical and leaf_hash agree, as a careful attacker."""
    row = AuditRow.model_validate(
        connection.execute(select(AUDIT).where(AUDIT.c.idx == idx)).one()._mapping
    )
    row.reason = "rewritten"
    canonical = canonical_json(body_of(row)).decode()
    leaf = leaf_hash(canonical.encode()).hex()
    set_audit(connection, idx, reason="rewritten", canonical=canonical, leaf_hash=leaf)


def rewrite_reason(connection: Connection, site: Site) -> None:
    rewrite_entry(connection, site.entry_of[WEIGHED])


def delete_entry(connection: Connection, site: Site) -> None:
    connection.execute(delete(AUDIT).where(AUDIT.c.idx == site.entry_of[VERIFIED]))


def truncate_log(connection: Connection, site: Site) -> None:
    connection.execute(delete(AUDIT).where(AUDIT.c.idx == site.latest - 1))


def reorder_entries(connection: Connection, site: Site) -> None:
    first = site.entry_of[WEIGHED]
    set_audit(connection, first, idx=-2)
    set_audit(connection, first + 1, idx=first)
    set_audit(connection, -2, idx=first + 1)


def resign_checkpoint(connection: Connection, site: Site) -> None:
    resign_all(connection, site, key=Ed25519PrivateKey.generate(), sizes=(site.latest,))


def resign_all(
    connection: Connection, site: Site, *, key: Ed25519PrivateKey, sizes: tuple[int, ...]
) -> None:
    """Re-sign checkpoints over the log as it now stands (the attacker's key or a stolen one)."""
    from signatures.merkle import MerkleTree

    leaves = connection.execute(select(AUDIT.c.leaf_hash).order_by(AUDIT.c.idx)).scalars()
    tree = MerkleTree(bytes.fromhex(value) for value in leaves)
    for size in sizes:
        signed = sign_checkpoint(
            key,
            origin=site.trust.origin,
            tree_size=size,
            root_hash=tree.root(size),
            timestamp=datetime.now(UTC),
        )
        connection.execute(
            update(CHECKPOINTS)
            .where(CHECKPOINTS.c.tree_size == size)
            .values(
                root_hash=signed.root_hash.hex(),
                at=signed.timestamp,
                key_id=signed.key_id,
                signature=base64.b64encode(signed.signature).decode(),
                document=signed.to_json(),
            )
        )


def edit_recipe_hash(connection: Connection, site: Site) -> None:
    connection.execute(
        update(BATCHES).where(BATCHES.c.batch_id == "B-A").values(recipe_hash="0" * 64)
    )


ATTACKS = [
    Attack("edit a record's values column", edit_values, "step_records", WEIGHED, "column values"),
    Attack(
        "edit a record's payload",
        edit_payload,
        "step_records",
        WEIGHED,
        "record_hash is not the SHA-256",
    ),
    Attack(
        "edit payload, hash and column",
        edit_payload_rehashed,
        "step_records",
        WEIGHED,
        "signature does not verify",
    ),
    Attack(
        "swap a record's signature",
        swap_signature,
        "step_records",
        WEIGHED,
        "signature does not verify",
    ),
    Attack("edit a prev_hash column", edit_prev_hash, "step_records", WEIGHED, "column prev_hash"),
    Attack("delete a record", delete_middle, "step_records", "batch B-A seq 3", "missing"),
    Attack(
        "delete a batch's last record",
        delete_last,
        "step_records",
        "B-A/weigh-api/1/corrected/6",
        "is missing",
    ),
    Attack("reorder two records", reorder, "step_records", "B-A/mixer/1/performed", "column seq"),
    Attack(
        "insert a record signed with another user's key",
        forge_with_other_key,
        "step_records",
        "B-A/note/1/performed",
        "certified for 'omar'",
        False,
    ),
    Attack(
        "append a record around the application",
        forge_appended,
        "step_records",
        "B-A/note/1/performed",
        "no audit entry",
        False,
    ),
    Attack(
        "replay a record from batch A in batch B",
        replay_across_batches,
        "step_records",
        "B-B/weigh-api/1/performed",
        "column record_id",
    ),
    Attack(
        "replay a signature from batch A in batch B",
        replay_signature_only,
        "step_records",
        "B-B/weigh-api/1/performed",
        "signature does not verify",
    ),
    Attack(
        "swap a certificate for another CA's",
        foreign_certificate,
        "user_keys",
        "key {olga}",
        "is not the site CA",
    ),
    Attack(
        "edit an audit entry's reason",
        edit_reason,
        "audit_log",
        "idx {weighed}",
        "columns do not say",
    ),
    Attack(
        "rewrite an audit entry consistently",
        rewrite_reason,
        "audit_checkpoints",
        "size {first}",
        "not the Merkle root",
    ),
    Attack("delete an audit entry", delete_entry, "audit_log", "idx {verified}", "missing"),
    Attack(
        "delete the newest audit entry",
        truncate_log,
        "audit_checkpoints",
        "size {latest}",
        "entries were removed",
    ),
    Attack(
        "reorder audit entries",
        reorder_entries,
        "audit_checkpoints",
        "size {first}",
        "not the Merkle root",
    ),
    Attack(
        "re-sign a checkpoint with another key",
        resign_checkpoint,
        "audit_checkpoints",
        "size {latest}",
        "another signing key",
    ),
    Attack("edit a batch's recipe hash", edit_recipe_hash, "batches", "B-A", "recipe hash", False),
]
