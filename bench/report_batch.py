"""The long batch bench.report measures: N steps of ten values, signed and audited in the store.

Every tenth step is verified by a second person, every 25th corrected; readings above 10 kg are
out of specification. Records are signed and appended as the signing activity does, without
Temporal.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from sqlmodel import Session

from ebr.audit import audit
from ebr.domain.batch import BatchHeader
from ebr.domain.meanings import Meaning
from ebr.domain.recipe import Quantity, Recipe
from ebr.domain.recipe_loading import recipe_from_data
from ebr.domain.roles import Role
from ebr.domain.signed_records import GENESIS, RecordPayload, Signer
from ebr.domain.subjects import batch_chain, step_subject
from ebr.domain.values import validate_values
from ebr.store.batches import insert_batch
from ebr.store.db import session_scope
from ebr.store.keys import add_user_key
from ebr.store.recipes import save_recipe
from ebr.store.signed_records import SignedEvidence, insert_signed_record
from ebr.store.users import add_user
from ebr.trust import SiteTrust
from signatures.ca import certificate_pem, issue_user_certificate
from signatures.keys import generate_key, public_key_id
from signatures.signing import sign_payload

VALUES = 10
PEOPLE = {"olga": "Olga Okafor", "omar": "Omar Haddad"}


def recipe(steps: int) -> Recipe:
    inputs = [
        {
            "name": f"v{i}",
            "label": f"Reading {i}",
            "type": "number",
            "unit": "kg",
            "min": 0,
            "max": 10,
        }
        for i in range(VALUES)
    ]
    spec = [
        {
            "id": f"s{n:04d}",
            "name": f"Step {n}",
            "instructions": f"Record the ten readings of step {n}.",
            "kind": "record",
            "verify": n % 10 == 0,
            "inputs": inputs,
        }
        for n in range(1, steps + 1)
    ]
    operations = [
        {"id": f"o{k}", "name": f"Operation {k}", "steps": spec[k * 10 : k * 10 + 10]}
        for k in range((steps + 9) // 10)
    ]
    return recipe_from_data({
        "code": "BENCH", "version": steps, "name": f"Bench {steps}",
        "product": {"code": "BENCH-1", "name": "Bench product"},
        "batch_size": {"value": "100", "unit": "kg"},
        "procedure": [{"id": "u", "name": "Unit", "operations": operations}],
    })  # fmt: skip


def enrol(engine: Engine, trust: SiteTrust) -> dict[str, Ed25519PrivateKey]:
    keys: dict[str, Ed25519PrivateKey] = {}
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        for user_id, name in PEOPLE.items():
            key = keys[user_id] = generate_key()
            cert = issue_user_certificate(
                trust.ca, user_id=user_id, full_name=name, public_key=key.public_key(), now=now
            )
            add_user(session=session, user_id=user_id, full_name=name, roles=(Role.OPERATOR,),
                     password_hash="-", created_by="bench", at=now)  # fmt: skip
            add_user_key(session=session, key_id=public_key_id(key.public_key()), user_id=user_id,
                         wrapped="-", certificate_pem=certificate_pem(cert), valid_from=now)  # fmt: skip
    return keys


def fill(engine: Engine, keys: dict[str, Ed25519PrivateKey], made: Recipe, batch_id: str) -> int:
    header = BatchHeader(
        batch_id=batch_id, batch_number=batch_id, recipe_code=made.code,
        recipe_version=made.version, recipe_hash=made.content_hash(), product_code="BENCH-1",
        planned_quantity=Quantity(value=Decimal("100"), unit="kg"), created_by="olga",
        created_at=datetime.now(UTC),
    )  # fmt: skip
    seq, head = 0, GENESIS
    with session_scope(engine) as session:
        save_recipe(
            session=session, recipe=made, source="-", loaded_by="bench", at=header.created_at
        )
        insert_batch(session=session, header=header, steps_total=len(list(made.steps())))
        for n, step in enumerate(made.steps(), start=1):
            entered: dict[str, Any] = {f"v{i}": f"{(n + i) % 11}.{i}" for i in range(VALUES)}
            plan = [("olga", Meaning.PERFORMED, entered)]
            if step.verify:
                plan.append(("omar", Meaning.VERIFIED, {}))
            if n % 25 == 0:
                plan.append(("olga", Meaning.CORRECTED, {**entered, "v0": "5.5"}))
            for user_id, meaning, raw in plan:
                seq += 1
                head = _record(
                    session,
                    keys[user_id],
                    made,
                    batch_id,
                    step.id,
                    seq,
                    head,
                    user_id,
                    meaning,
                    raw,
                )
    return seq


def _record(session: Session, key: Ed25519PrivateKey, made: Recipe, batch_id: str, step_id: str,
            seq: int, head: str, user_id: str, meaning: Meaning, raw: dict[str, Any]) -> str:  # fmt: skip
    step = made.step(step_id)
    assert step is not None
    corrected = meaning is Meaning.CORRECTED
    payload = RecordPayload(
        chain=batch_chain(batch_id), recipe_hash=made.content_hash(), seq=seq, prev_hash=head,
        subject=step_subject(step_id), execution=1, meaning=meaning,
        values=validate_values(step, raw) if raw else (),
        reason="reading misread" if corrected else None,
        corrects=f"{batch_id}/{step_id}/1/performed" if corrected else None,
        signer=Signer(user_id=user_id, full_name=PEOPLE[user_id]), station="line-1",
        signed_at=datetime.now(UTC),
    )  # fmt: skip
    return store_signed(session, key, payload)


def store_signed(session: Session, key: Ed25519PrivateKey, payload: RecordPayload) -> str:
    """Sign ``payload``, append it and its audit entry as the signing activity does; return its
    record hash (the next record's ``prev_hash``)."""
    data, signature = sign_payload(key, payload.signable())
    digest = hashlib.sha256(data).hexdigest()
    evidence = SignedEvidence(payload=data.decode(), record_hash=digest, prev_hash=payload.prev_hash,
                              signature=base64.b64encode(signature.value).decode(),
                              key_id=signature.key_id)  # fmt: skip
    record = payload.to_record()
    insert_signed_record(session=session, record=record, evidence=evidence)
    corrected = payload.meaning is Meaning.CORRECTED
    audit(session, event_key=f"{record.record_id}/signed", at=payload.signed_at,
          actor=payload.signer.user_id, station=payload.station,
          action="record_corrected" if corrected else "record_signed", entity="signed_record",
          entity_id=record.record_id, batch_id=payload.batch_id,
          new_value={"subject": payload.subject.model_dump(mode="json"),
                     "meaning": payload.meaning.value,
                     "values": [v.model_dump(mode="json") for v in payload.values],
                     "comment": payload.comment, "record_hash": digest},
          reason=payload.reason)  # fmt: skip
    return digest
