"""Storing signed records: the signature is checked against the signer's certificate, then the
record and its audit entry (and, for a batch's chain, the batch's progress) are written in one
transaction, once."""

from __future__ import annotations

from base64 import b64decode
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Engine
from sqlmodel import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from ebr.audit import audit, audit_record_signed
from ebr.domain.signed_records import RecordPayload
from ebr.store.accounts import touch_signature
from ebr.store.batches import get_batch, update_batch_progress
from ebr.store.db import session_scope
from ebr.store.errors import Conflict
from ebr.store.keys import get_key
from ebr.store.signed_records import (
    SignedEvidence,
    SignedRecordRow,
    get_signed_record,
    insert_signed_record,
)
from signatures.ca import load_certificate_pem, signer_public_key, verify_certificate
from signatures.canonical import canonical_json
from signatures.chain import record_hash
from signatures.errors import BadCertificate, SignatureError
from signatures.signing import Signature, verify_payload
from workflows.messages import PersistChainRecordInput, PersistSignedInput, SignedStored


class SignedRecordActivities:
    def __init__(self, engine: Engine, ca_certificate: x509.Certificate) -> None:
        self._engine = engine
        self._ca = ca_certificate
        # Certificates already checked against the CA, by PEM: the CA's signature on a
        # certificate does not change, so it is checked once; validity at each signing time is
        # checked every time.
        self._verified: dict[str, x509.Certificate] = {}

    def _signer_key(self, certificate_pem: str, *, at: datetime) -> Ed25519PublicKey:
        certificate = self._verified.get(certificate_pem)
        if certificate is None:
            certificate = load_certificate_pem(certificate_pem)
            verify_certificate(certificate, self._ca, at=at)
            self._verified[certificate_pem] = certificate
        elif not certificate.not_valid_before_utc <= at <= certificate.not_valid_after_utc:
            raise BadCertificate(f"the signer's certificate was not valid at {at.isoformat()}")
        return signer_public_key(certificate)

    @activity.defn(name="persist_signed_record")
    def persist_signed_record(self, request: PersistSignedInput) -> SignedStored:
        """Store a record of a batch's chain with the batch's progress as it leaves it."""
        payload = request.payload
        batch_id = payload.batch_id
        if batch_id is None:
            raise _refused("a batch's workflow records only records of its own chain")
        with session_scope(self._engine) as session:
            digest, original = self._insert(session, payload, request.signature, request.key_id)
            before = get_batch(session=session, batch_id=batch_id)
            status_before = before.status if before is not None else None
            row = update_batch_progress(
                session=session,
                batch_id=batch_id,
                status=request.status,
                steps_done=request.steps_done,
                completed_at=request.completed_at,
                at=payload.signed_at,
                seq=payload.seq,
                steps_total=request.steps_total,
            )
            projection = {"status": row.status, "steps_done": row.steps_done}
            old_values = original.values if original else None
            audit_record_signed(
                session, payload, digest, old_values=old_values, projection=projection
            )
            if status_before is not None and status_before != request.status.value:
                audit(
                    session,
                    event_key=f"{batch_id}/status/{payload.seq}",
                    at=payload.signed_at,
                    actor=payload.signer.user_id,
                    station=payload.station,
                    action="status_changed",
                    entity="batch",
                    entity_id=batch_id,
                    batch_id=batch_id,
                    old_value=status_before,
                    new_value=request.status.value,
                )
        return SignedStored(record_hash=digest)

    @activity.defn(name="persist_chain_record")
    def persist_chain_record(self, request: PersistChainRecordInput) -> SignedStored:
        """Store a record of a chain that is not a batch's (a recipe version's, a lot's...)."""
        payload = request.payload
        if payload.batch_id is not None:
            raise _refused("a batch's records are stored with the batch's progress")
        with session_scope(self._engine) as session:
            digest, _ = self._insert(session, payload, request.signature, request.key_id)
            audit_record_signed(session, payload, digest)
        return SignedStored(record_hash=digest)

    def _insert(
        self, session: Session, payload: RecordPayload, signature: str, key_id: str
    ) -> tuple[str, SignedRecordRow | None]:
        """Check the signature against the signer's certificate and insert the record once;
        its hash, and the record it corrects (if any)."""
        canonical = canonical_json(payload.signable())
        digest = record_hash(canonical)
        key = get_key(session=session, key_id=key_id)
        if key is None or key.user_id != payload.signer.user_id:
            raise _refused("the signing key is not the signer's")
        try:
            public_key = self._signer_key(key.certificate_pem, at=payload.signed_at)
            verify_payload(
                public_key, canonical, Signature(key_id=key_id, value=b64decode(signature))
            )
        except SignatureError as exc:
            raise _refused(exc.message) from exc
        original = (
            get_signed_record(session=session, record_id=payload.corrects)
            if payload.corrects
            else None
        )
        try:
            insert_signed_record(
                session=session,
                record=payload.to_record(),
                evidence=SignedEvidence(
                    payload=canonical.decode("utf-8"),
                    record_hash=digest,
                    prev_hash=payload.prev_hash,
                    signature=signature,
                    key_id=key_id,
                ),
            )
        except Conflict as exc:
            raise ApplicationError(exc.message, type="store_conflict", non_retryable=True) from exc
        touch_signature(session=session, user_id=payload.signer.user_id, at=payload.signed_at)
        return digest, original


def _refused(reason: str) -> ApplicationError:
    return ApplicationError(
        f"signature refused: {reason}", type="bad_signature", non_retryable=True
    )
