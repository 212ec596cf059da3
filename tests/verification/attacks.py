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
from ebr.domain.meanings import Meaning
from ebr.domain.signed_records import RecordPayload, Signer
from ebr.domain.subjects import Chain, batch_chain, step_subject
from ebr.store.audit import AuditRow
from ebr.store.batches import BatchRow
from ebr.store.checkpoints import CheckpointRow
from ebr.store.keys import UserKeyRow
from ebr.store.signed_records import SignedRecordRow
from signatures.ca import certificate_pem, create_site_ca, issue_user_certificate
from signatures.canonical import canonical_json
from signatures.checkpoints import sign_checkpoint
from signatures.merkle import leaf_hash
from tests.chains import SigningUser, sealed
from tests.verification.site import NAMES, Site

RECORDS: Table = SignedRecordRow.__table__  # type: ignore[attr-defined]
AUDIT: Table = AuditRow.__table__  # type: ignore[attr-defined]
KEYS: Table = UserKeyRow.__table__  # type: ignore[attr-defined]
CHECKPOINTS: Table = CheckpointRow.__table__  # type: ignore[attr-defined]
BATCHES: Table = BatchRow.__table__  # type: ignore[attr-defined]
WEIGHED = "B-A/weigh-api/1/performed"  # seq 2 of batch B-A
VERIFIED = "B-A/weigh-api/1/verified"  # seq 3
RELEASED = "B-A/batch:B-A/released"  # seq 11, the last of batch B-A


@dataclass(frozen=True)
class Attack:
    name: str
    edit: Callable[[Connection, Site], None]
    table: str
    entry: str
    problem: str
    refused_by_triggers: bool = True  # an UPDATE or DELETE the triggers refuse


def record(connection: Connection, batch_id: str, seq: int) -> Any:
    return in_chain(connection, batch_chain(batch_id), seq)


def in_chain(connection: Connection, chain: Chain, seq: int) -> Any:
    """The row at ``seq`` of ``chain``."""
    query = select(RECORDS).where(
        RECORDS.c.chain_kind == chain.kind.value,
        RECORDS.c.chain_id == chain.id,
        RECORDS.c.seq == seq,
    )
    return connection.execute(query).one()


def by_id(connection: Connection, record_id: str) -> Any:
    return connection.execute(select(RECORDS).where(RECORDS.c.record_id == record_id)).one()


def set_record(connection: Connection, record_id: str, /, **values: Any) -> None:
    connection.execute(update(RECORDS).where(RECORDS.c.record_id == record_id).values(**values))


def store_forged(connection: Connection, payload: RecordPayload, key_of: SigningUser) -> None:
    """Insert ``payload`` signed with ``key_of``'s key, its columns saying what it says, as an
    attacker holding that key would, around the application (so without its audit entry)."""
    evidence = sealed(key_of, payload)
    record = payload.to_record()
    columns = record.model_dump(mode="json", exclude={"chain", "subject", "recorded_at"})
    connection.execute(
        insert(RECORDS).values(
            **columns,
            chain_kind=record.chain.kind.value,
            chain_id=record.chain.id,
            subject_kind=record.subject.kind.value,
            subject_id=record.subject.id,
            batch_id=record.batch_id,
            recorded_at=payload.signed_at,
            payload=evidence.payload,
            record_hash=evidence.record_hash,
            prev_hash=evidence.prev_hash,
            signature=evidence.signature,
            key_id=evidence.key_id,
        )
    )


def replace_signed(
    connection: Connection, record_id: str, payload: RecordPayload, key_of: SigningUser
) -> None:
    """Rewrite a stored record as ``payload`` signed with ``key_of``'s key: payload, hash,
    signature, key and every column made to agree (the record id too), as a careful attacker."""
    evidence = sealed(key_of, payload)
    record = payload.to_record()
    set_record(
        connection,
        record_id,
        record_id=record.record_id,
        chain_kind=record.chain.kind.value,
        chain_id=record.chain.id,
        seq=record.seq,
        subject_kind=record.subject.kind.value,
        subject_id=record.subject.id,
        batch_id=record.batch_id,
        execution=record.execution,
        meaning=record.meaning.value,
        values=[v.model_dump(mode="json") for v in record.values],
        comment=record.comment,
        reason=record.reason,
        corrects=record.corrects,
        detail=record.detail,
        user_id=record.user_id,
        user_name=record.user_name,
        station=record.station,
        recorded_at=record.recorded_at,
        payload=evidence.payload,
        record_hash=evidence.record_hash,
        prev_hash=evidence.prev_hash,
        signature=evidence.signature,
        key_id=evidence.key_id,
    )


def stored_payload(connection: Connection, record_id: str) -> RecordPayload:
    return RecordPayload.model_validate_json(by_id(connection, record_id).payload)


def edit_values(connection: Connection, site: Site) -> None:
    row = record(connection, "B-A", 2)
    set_record(connection, WEIGHED, values=[{**row.values[0], "value": "24.00"}])


def edit_check_to_one(connection: Connection, site: Site) -> None:
    """A check's ``true`` made ``1``: equal to Python, not to a reader (shown "1", not "Yes")."""
    row = record(connection, "B-A", 4)
    set_record(connection, row.record_id, values=[{**row.values[0], "value": 1}])


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
    connection.execute(delete(RECORDS).where(RECORDS.c.record_id == RELEASED))


def reorder(connection: Connection, site: Site) -> None:
    set_record(connection, "B-A/clean-check/1/performed", seq=-4)
    set_record(connection, "B-A/mixer/1/performed", seq=4)
    set_record(connection, "B-A/clean-check/1/performed", seq=5)


def _forge(connection: Connection, site: Site, signer: str, key_owner: str) -> None:
    head = record(connection, "B-A", 11).record_hash
    content = RecordPayload(
        chain=batch_chain("B-A"),
        seq=12,
        prev_hash=head,
        subject=step_subject("note"),
        meaning=Meaning.PERFORMED,
        recipe_hash=site.recipe_hash,
        signer=Signer(user_id=signer, full_name=NAMES[signer]),
        station="line-1",
        signed_at=datetime.now(UTC),
    )
    store_forged(connection, content, site.users[key_owner])


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
    Attack(
        "edit a record's values column", edit_values, "signed_records", WEIGHED, "column values"
    ),
    Attack(
        "edit a check's value from true to 1",
        edit_check_to_one,
        "signed_records",
        "B-A/clean-check/1/performed",
        "column values",
    ),
    Attack(
        "edit a record's payload",
        edit_payload,
        "signed_records",
        WEIGHED,
        "record_hash is not the SHA-256",
    ),
    Attack(
        "edit payload, hash and column",
        edit_payload_rehashed,
        "signed_records",
        WEIGHED,
        "signature does not verify",
    ),
    Attack(
        "swap a record's signature",
        swap_signature,
        "signed_records",
        WEIGHED,
        "signature does not verify",
    ),
    Attack(
        "edit a prev_hash column", edit_prev_hash, "signed_records", WEIGHED, "column prev_hash"
    ),
    Attack("delete a record", delete_middle, "signed_records", "batch B-A seq 3", "missing"),
    Attack(
        "delete a batch's last record",
        delete_last,
        "signed_records",
        RELEASED,
        "is missing",
    ),
    Attack("reorder two records", reorder, "signed_records", "B-A/mixer/1/performed", "column seq"),
    Attack(
        "insert a record signed with another user's key",
        forge_with_other_key,
        "signed_records",
        "B-A/note/1/performed",
        "certified for 'omar'",
        False,
    ),
    Attack(
        "append a record around the application",
        forge_appended,
        "signed_records",
        "B-A/note/1/performed",
        "no audit entry",
        False,
    ),
    Attack(
        "replay a record from batch A in batch B",
        replay_across_batches,
        "signed_records",
        "B-B/weigh-api/1/performed",
        "column record_id",
    ),
    Attack(
        "replay a signature from batch A in batch B",
        replay_signature_only,
        "signed_records",
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
