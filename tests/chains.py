"""Signed records of any subject, in any chain, made as the system makes them, without a workflow.

``Chains.append`` builds an ``ebr.record/2`` payload on the chain's current head, signs it with
the signer's real key (certified by the site CA), stores it (``insert_signed_record``) and
writes its audit entry as ``activities.signed_records`` does (entity ``signed_record``, the
record hash in ``new_value``), in one transaction. Signers are the demo users, whose keys are
opened with their published passwords, or people enrolled here with a new key and certificate.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from ebr.audit import audit_recipe_loaded, audit_record_signed
from ebr.domain.meanings import Meaning
from ebr.domain.recipe import Recipe
from ebr.domain.recipe_versions import recipe_chain, recipe_subject
from ebr.domain.roles import Role
from ebr.domain.signed_records import GENESIS, RecordPayload, Signer
from ebr.domain.subjects import Chain, ChainKind, Subject
from ebr.domain.values import RecordedValue
from ebr.seed import DEMO_USERS, demo_password
from ebr.store.batches import get_batch
from ebr.store.db import session_scope
from ebr.store.keys import active_key, add_user_key
from ebr.store.recipes import get_revision, save_recipe
from ebr.store.signed_records import (
    SignedEvidence,
    chain_head,
    get_signed_record,
    insert_signed_record,
)
from ebr.store.users import get_user
from ebr.trust import SiteTrust
from signatures.ca import certificate_pem, issue_user_certificate
from signatures.canonical import canonical_json
from signatures.chain import record_hash
from signatures.keys import (
    FAST_TEST_PARAMS,
    WrappedKey,
    generate_key,
    public_key_id,
    unwrap_key,
    wrap_key,
)
from signatures.signing import sign_payload
from tests.enrolment import enrol

__all__ = ["Appended", "Chains", "SigningUser", "sealed", "signature_of"]

DEMO_NAMES = {user.user_id: user.full_name for user in DEMO_USERS}


@dataclass(frozen=True)
class SigningUser:
    """A person who signs: their printed name, open private key and its key id."""

    user_id: str
    full_name: str
    key: Ed25519PrivateKey
    key_id: str


@dataclass(frozen=True)
class Appended:
    """A record as stored: its id, its hash (the next record's ``prev_hash``), its payload."""

    record_id: str
    record_hash: str
    payload: RecordPayload


def signature_of(user: SigningUser, payload: RecordPayload) -> tuple[str, str]:
    """``payload`` signed by ``user``: (base64 signature, key id)."""
    _, signature = sign_payload(user.key, payload.signable())
    return base64.b64encode(signature.value).decode("ascii"), signature.key_id


def sealed(user: SigningUser, payload: RecordPayload) -> SignedEvidence:
    """The evidence the signing layer hands the store for ``payload`` signed by ``user``."""
    canonical = canonical_json(payload.signable())
    signature, key_id = signature_of(user, payload)
    return SignedEvidence(
        payload=canonical.decode("utf-8"),
        record_hash=record_hash(canonical),
        prev_hash=payload.prev_hash,
        signature=signature,
        key_id=key_id,
    )


@dataclass
class Chains:
    """Appends signed records to the chains of one store, as ``users`` sign them."""

    engine: Engine
    trust: SiteTrust
    users: dict[str, SigningUser] = field(default_factory=dict)

    def open_demo(self, user_ids: Iterable[str]) -> None:
        """Open the demo users' keys (``ebr.seed.seed_demo`` made them) with their passwords."""
        for user_id in user_ids:
            with session_scope(self.engine) as session:
                row = active_key(session=session, user_id=user_id)
            assert row is not None, f"{user_id} has no key: seed the demo users first"
            key = unwrap_key(WrappedKey.from_json(row.wrapped), demo_password(user_id))
            self.users[user_id] = SigningUser(user_id, DEMO_NAMES[user_id], key, row.key_id)

    def enrol(self, user_id: str, full_name: str, *roles: Role) -> SigningUser:
        """A new person with a new key, certified by the site CA from now on."""
        key, now = generate_key(), datetime.now(UTC)
        certificate = issue_user_certificate(
            self.trust.ca,
            user_id=user_id,
            full_name=full_name,
            public_key=key.public_key(),
            now=now,
        )
        key_id = public_key_id(key.public_key())
        with session_scope(self.engine) as session:
            known = get_user(session=session, user_id=user_id) is not None
        if not known:
            enrol(self.engine, self.trust, user_id=user_id, full_name=full_name,
                  roles=roles or (Role.OPERATOR,), password_hash="not-used")  # fmt: skip
        with session_scope(self.engine) as session:
            add_user_key(
                session=session,
                key_id=key_id,
                user_id=user_id,
                wrapped=wrap_key(key, f"pw-{user_id}", params=FAST_TEST_PARAMS).to_json(),
                certificate_pem=certificate_pem(certificate),
                valid_from=now,
            )
        self.users[user_id] = SigningUser(user_id, full_name, key, key_id)
        return self.users[user_id]

    def payload(
        self,
        chain: Chain,
        subject: Subject,
        meaning: Meaning,
        *,
        by: str,
        values: tuple[RecordedValue, ...] = (),
        comment: str | None = None,
        reason: str | None = None,
        corrects: str | None = None,
        detail: dict[str, Any] | None = None,
        execution: int = 1,
        recipe_hash: str | None = None,
        station: str = "line-1",
        at: datetime | None = None,
    ) -> RecordPayload:
        """The payload ``by`` signs next in ``chain``, on its current head. A batch's record
        binds the batch row's recipe hash unless ``recipe_hash`` says otherwise."""
        with session_scope(self.engine) as session:
            seq, head = chain_head(session=session, chain=chain)
            if recipe_hash is None and chain.kind is ChainKind.BATCH:
                batch = get_batch(session=session, batch_id=chain.id)
                assert batch is not None, f"batch {chain.id} is not in the store"
                recipe_hash = batch.recipe_hash
        signer = self.users[by]
        return RecordPayload(
            chain=chain,
            seq=seq + 1,
            prev_hash=head or GENESIS,
            subject=subject,
            execution=execution,
            meaning=meaning,
            values=values,
            comment=comment,
            reason=reason,
            corrects=corrects,
            recipe_hash=recipe_hash,
            signer=Signer(user_id=signer.user_id, full_name=signer.full_name),
            station=station,
            signed_at=at or datetime.now(UTC),
            detail=detail,
        )

    def append(
        self, chain: Chain, subject: Subject, meaning: Meaning, *, by: str, **content: Any
    ) -> Appended:
        """Sign the next record of ``chain`` as ``by`` and store it with its audit entry.
        ``content``: as ``payload`` takes it (values, comment, reason, detail, at...)."""
        return self.store(self.payload(chain, subject, meaning, by=by, **content))

    def store(self, payload: RecordPayload, *, signed_by: str | None = None) -> Appended:
        """Store ``payload`` signed by its signer (or by ``signed_by``'s key, as a forger would),
        with the audit entry the signing activity writes."""
        evidence = sealed(self.users[signed_by or payload.signer.user_id], payload)
        record = payload.to_record()
        with session_scope(self.engine) as session:
            original = (
                get_signed_record(session=session, record_id=payload.corrects)
                if payload.corrects
                else None
            )
            insert_signed_record(session=session, record=record, evidence=evidence)
            audit_record_signed(
                session,
                payload,
                evidence.record_hash,
                old_values=original.values if original is not None else None,
            )
        return Appended(record.record_id, evidence.record_hash, payload)


def approve_recipe(
    chains: Chains,
    recipe: Recipe,
    signers: tuple[str, str, str],
    *,
    at: datetime | None = None,
) -> None:
    """The recipe version saved as a draft (audited, as its workflow saves it), then authored,
    reviewed and approved by ``signers`` at ``at`` (now): effective from then, so a batch
    started after it verifies. A version saved already is left as it is."""
    with session_scope(chains.engine) as session:
        if get_revision(session=session, code=recipe.code, version=recipe.version,
                        content_hash=recipe.content_hash()) is not None:  # fmt: skip
            return
        row, _ = save_recipe(session=session, recipe=recipe, source=recipe.canonical_json().decode(),
                             loaded_by=signers[0], at=at or datetime.now(UTC))  # fmt: skip
        audit_recipe_loaded(session, row=row, actor=signers[0], station="office")
    chain, subject = (
        recipe_chain(recipe.code, recipe.version),
        recipe_subject(recipe.code, recipe.version),
    )
    for user_id, meaning in zip(
        signers, (Meaning.AUTHORED, Meaning.REVIEWED, Meaning.APPROVED), strict=True
    ):
        chains.append(chain, subject, meaning, by=user_id, at=at,
                      recipe_hash=recipe.content_hash(), reason="validated")  # fmt: skip
