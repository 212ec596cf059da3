"""Signing in tests as the API does: real keys, certificates from a real site CA, real payloads."""

from __future__ import annotations

from base64 import b64encode
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from ebr.domain.batch import Actor
from ebr.domain.meanings import Meaning
from ebr.domain.recipe import Recipe, Step
from ebr.domain.refusals import InvalidValues, UnitMismatch
from ebr.domain.roles import Role
from ebr.domain.signed_records import GENESIS, RecordPayload, Signer, step_record_id
from ebr.domain.step_verification import VerificationDetail, latest_correction
from ebr.domain.subjects import Subject, batch_chain, step_subject
from ebr.domain.values import RecordedValue, validate_values
from ebr.store.db import session_scope
from ebr.store.keys import add_user_key
from ebr.store.signed_records import chain_head, list_batch_records, record_of
from ebr.store.users import get_user
from ebr.trust import SiteTrust, load_or_create_trust
from signatures.ca import certificate_pem, issue_user_certificate
from signatures.keys import FAST_TEST_PARAMS, generate_key, public_key_id, wrap_key
from signatures.signing import sign_payload
from tests.enrolment import enrol
from workflows.messages import SignedAction


@dataclass
class Desk:
    """The signers of a test: each actor gets a user, a key pair and a certificate."""

    engine: Engine
    trust: SiteTrust
    keys: dict[str, Ed25519PrivateKey] = field(default_factory=dict)

    def enrol(self, actor: Actor) -> None:
        if actor.user_id in self.keys:
            return
        key = generate_key()
        now = datetime.now(UTC)
        certificate = issue_user_certificate(
            self.trust.ca,
            user_id=actor.user_id,
            full_name=actor.full_name,
            public_key=key.public_key(),
            now=now,
        )
        with session_scope(self.engine) as session:
            known = get_user(session=session, user_id=actor.user_id) is not None
        if not known:  # enrolled as a site enrols people, so ebr verify proves the row
            enrol(self.engine, self.trust, user_id=actor.user_id, full_name=actor.full_name,
                  roles=actor.roles or (Role.AUDITOR,), password_hash="not-used", at=now)  # fmt: skip
        with session_scope(self.engine) as session:
            add_user_key(
                session=session,
                key_id=public_key_id(key.public_key()),
                user_id=actor.user_id,
                wrapped=wrap_key(key, "pw-" + actor.user_id, params=FAST_TEST_PARAMS).to_json(),
                certificate_pem=certificate_pem(certificate),
                valid_from=now,
            )
        self.keys[actor.user_id] = key

    def head(self, batch_id: str) -> tuple[int, str]:
        with session_scope(self.engine) as session:
            seq, digest = chain_head(session=session, chain=batch_chain(batch_id))
        return seq, digest or GENESIS

    def action(
        self,
        recipe: Recipe,
        batch_id: str,
        step_id: str,
        actor: Actor,
        meaning: Meaning = Meaning.PERFORMED,
        entered: dict[str, Any] | None = None,
        *,
        reason: str | None = None,
        values: tuple[RecordedValue, ...] | None = None,
        payload_changes: dict[str, Any] | None = None,
        head: tuple[int, str] | None = None,
        execution: int = 1,
        comment: str | None = None,
        at: datetime | None = None,
        detail: dict[str, Any] | None = None,
        unread: bool = False,
    ) -> SignedAction:
        """A signed action on the batch's current head (or ``head``), as the API would send it: a
        verification names the step's latest correction in the store, as the API's does (unless
        ``detail`` is given, or ``unread``: signed as if the values were never corrected)."""
        self.enrol(actor)
        if meaning is Meaning.VERIFIED and detail is None and not unread:
            detail = self.verifies(batch_id, step_id, execution)
        entered = entered or {}
        step = recipe.step(step_id)
        if values is None:
            typed = _typed(step, meaning, entered)
        else:
            typed = values
        seq, prev = head or self.head(batch_id)
        payload = RecordPayload(
            chain=batch_chain(batch_id),
            recipe_hash=recipe.content_hash(),
            seq=seq + 1,
            prev_hash=prev,
            subject=step_subject(step_id),
            execution=execution,
            meaning=meaning,
            values=typed,
            comment=comment,
            reason=reason,
            corrects=(
                step_record_id(batch_id, step_id, execution, Meaning.PERFORMED)
                if meaning is Meaning.CORRECTED
                else None
            ),
            signer=Signer(user_id=actor.user_id, full_name=actor.full_name),
            station=actor.station,
            signed_at=at or datetime.now(UTC),
            detail=detail,
        )
        return self._signed(actor, payload, entered, payload_changes)

    def verifies(self, batch_id: str, step_id: str, execution: int) -> dict[str, Any] | None:
        """A verification's detail: the latest correction of the step's execution, if any."""
        with session_scope(self.engine) as session:
            records = [record_of(r) for r in list_batch_records(session=session, batch_id=batch_id)]
        mine = [r for r in records if (r.step_id, r.execution) == (step_id, execution)]
        latest = latest_correction(mine)
        return VerificationDetail(verifies=latest.record_id).detail() if latest else None

    def decision(
        self,
        recipe: Recipe,
        batch_id: str,
        subject: Subject,
        actor: Actor,
        meaning: Meaning,
        *,
        reason: str | None = None,
        comment: str | None = None,
        detail: dict[str, Any] | None = None,
        head: tuple[int, str] | None = None,
        at: datetime | None = None,
        payload_changes: dict[str, Any] | None = None,
    ) -> SignedAction:
        """A signed decision on ``subject`` (``ebr.domain.subjects``: the batch, a deviation, a
        hold); ``payload_changes`` tampers with the payload after it was signed."""
        self.enrol(actor)
        seq, prev = head or self.head(batch_id)
        payload = RecordPayload(
            chain=batch_chain(batch_id),
            recipe_hash=recipe.content_hash(),
            seq=seq + 1,
            prev_hash=prev,
            subject=subject,
            meaning=meaning,
            comment=comment,
            reason=reason,
            detail=detail,
            signer=Signer(user_id=actor.user_id, full_name=actor.full_name),
            station=actor.station,
            signed_at=at or datetime.now(UTC),
        )
        return self._signed(actor, payload, {}, payload_changes)

    def _signed(
        self,
        actor: Actor,
        payload: RecordPayload,
        entered: dict[str, Any],
        payload_changes: dict[str, Any] | None,
    ) -> SignedAction:
        _, signature = sign_payload(self.keys[actor.user_id], payload.signable())
        if payload_changes:
            payload = payload.model_copy(update=payload_changes)
        return SignedAction(
            actor=actor,
            payload=payload,
            key_id=signature.key_id,
            signature=b64encode(signature.value).decode(),
            entered=entered,
        )


def _typed(
    step: Step | None, meaning: Meaning, entered: dict[str, Any]
) -> tuple[RecordedValue, ...]:
    """The values the API would sign; none where it would refuse them itself, so that the
    workflow's own refusal of the entered values can be tested."""
    if meaning is Meaning.VERIFIED or step is None:
        return ()
    try:
        return validate_values(step, entered)
    except (InvalidValues, UnitMismatch):
        return ()


def desk_for(engine: Engine, data_dir: Path) -> Desk:
    return Desk(
        engine=engine, trust=load_or_create_trust(data_dir, site_name="Test site", passphrase=None)
    )
