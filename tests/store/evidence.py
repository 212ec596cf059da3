"""Builders for signed evidence in store tests: users, audit entries and signed record evidence.

Hashes are real (the store checks them); canonical JSON comes from the rfc8785 package, as the
signing layer's would. Signatures are stand-ins: the store keeps them, it does not verify them
(``ebr verify`` does; its tests sign for real, ``tests.chains``).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta
from typing import Any

import rfc8785
from sqlalchemy import Engine

from ebr.domain.roles import Role
from ebr.store import AuditEntryIn, SignedEvidence, session_scope
from ebr.store.users import add_user
from tests.store.builders import T0

GENESIS = "0" * 64


def person(engine: Engine, user_id: str = "olga", *roles: Role) -> None:
    with session_scope(engine) as session:
        add_user(
            session=session,
            user_id=user_id,
            full_name=f"{user_id.title()} Person",
            roles=roles or (Role.OPERATOR,),
            password_hash="$argon2id$stub",
            created_by="admin",
            at=T0,
        )


def audit_entry(
    n: int = 0,
    *,
    event_key: str | None = None,
    at: datetime | None = None,
    actor: str = "olga",
    action: str = "record_signed",
    entity: str = "signed_record",
    entity_id: str | None = None,
    batch_id: str | None = "b-1",
    old_value: Any = None,
    new_value: Any = None,
    reason: str | None = None,
) -> AuditEntryIn:
    """The ``n``-th event of a test: distinct content and key for each ``n`` unless told."""
    fields: dict[str, Any] = {
        "at": at or T0 + timedelta(seconds=n),
        "actor": actor,
        "station": "line-1",
        "action": action,
        "entity": entity,
        "entity_id": entity_id or f"rec-{n}",
        "batch_id": batch_id,
        "old_value": old_value,
        "new_value": new_value if new_value is not None else {"n": n},
        "reason": reason,
    }
    layout = {**fields, "at": fields["at"].isoformat()}
    canonical = rfc8785.dumps(layout).decode("utf-8")
    return AuditEntryIn(
        event_key=event_key or f"rec-{n}/{action}",
        canonical=canonical,
        leaf_hash=leaf_hash(canonical),
        **fields,
    )


def leaf_hash(canonical: str) -> str:
    return hashlib.sha256(b"\x00" + canonical.encode("utf-8")).hexdigest()


def signed(
    content: dict[str, Any], *, prev_hash: str = GENESIS, key_id: str = "k-olga-1"
) -> SignedEvidence:
    """``content`` as the signing layer would hand it over: canonical text, hash, signature."""
    payload = rfc8785.dumps({**content, "prev_hash": prev_hash}).decode("utf-8")
    digest = hashlib.sha256(payload.encode("utf-8")).hexdigest()
    stand_in = base64.b64encode(hashlib.sha512(f"{key_id}:{payload}".encode()).digest())
    return SignedEvidence(
        payload=payload,
        record_hash=digest,
        prev_hash=prev_hash,
        signature=stand_in.decode("ascii"),
        key_id=key_id,
    )
