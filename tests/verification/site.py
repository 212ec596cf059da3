"""A real site for verification tests: trust material, demo users with keys, signed batches.

Records are signed and stored exactly as the system does (``RecordPayload``, the user's key
opened with the demo password, ``SignedRecordActivities.persist_signed_record``), and the log is
checkpointed with ``AuditLogActivities``; only Temporal is left out.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from sqlmodel import select

from activities.audit_log import AuditLogActivities
from activities.signed_records import SignedRecordActivities
from ebr.domain.batch import BatchStatus
from ebr.domain.records import Meaning, StepRecord
from ebr.domain.signed import GENESIS, RecordPayload, Signer
from ebr.domain.values import RecordedValue
from ebr.seed import DEMO_USERS, seed_demo
from ebr.store.audit import AuditRow
from ebr.store.batches import insert_batch
from ebr.store.db import session_scope
from ebr.store.keys import active_key
from ebr.store.recipes import save_recipe
from ebr.store.records import insert_step_record
from ebr.trust import SiteTrust, load_or_create_trust
from signatures.keys import WrappedKey, unwrap_key
from signatures.records import sign_payload
from tests.factories import header_for, recipe_yaml, small_recipe
from workflows.messages import PersistSignedInput

SITE_NAME = "Verification Test Site"
NAMES = {user.user_id: user.full_name for user in DEMO_USERS}
WEIGHT = RecordedValue(
    name="weight",
    type="number",
    value="25.01",
    unit="kg",
    entered="25.01 kg",
    in_spec=True,
    critical=True,
)


@dataclass(frozen=True)
class SigningUser:
    user_id: str
    key: Ed25519PrivateKey
    key_id: str


@dataclass
class Site:
    """What tests need to forge like an attacker would: the trust and every user's open key."""

    trust: SiteTrust
    users: dict[str, SigningUser]
    recipe_hash: str
    sizes: tuple[int, ...] = ()  # the checkpoints' tree sizes, oldest first
    entry_of: dict[str, int] = field(default_factory=dict)  # record id -> its audit idx

    @property
    def latest(self) -> int:
        return self.sizes[-1]

    def facts(self) -> dict[str, object]:
        """What expected messages are formatted with (indexes vary with what seeding audits)."""
        return {
            "olga": self.users["olga"].key_id,
            "first": self.sizes[0],
            "latest": self.latest,
            "weighed": self.entry_of["B-A/weigh-api/1/performed"],
            "verified": self.entry_of["B-A/weigh-api/1/verified"],
        }


def make_trust(data_dir: Path) -> SiteTrust:
    return load_or_create_trust(data_dir, site_name=SITE_NAME, passphrase=None)


def build_site(engine: Engine, trust: SiteTrust) -> Site:
    """Seed users, then batches B-A and B-B (B-B ends with an unsigned record), two checkpoints."""
    seed_demo(engine, trust)
    recipe = small_recipe()
    with session_scope(engine) as session:
        save_recipe(
            session=session,
            recipe=recipe,
            source=recipe_yaml(recipe),
            loaded_by="sam",
            at=datetime.now(UTC),
        )
        for batch_id in ("B-A", "B-B"):
            insert_batch(session=session, header=header_for(recipe, batch_id), steps_total=5)
    users = {uid: _open(engine, uid) for uid in ("olga", "omar", "sam")}
    site = Site(trust=trust, users=users, recipe_hash=recipe.content_hash())
    checkpoints = AuditLogActivities(engine, trust)
    sign_batch(engine, site, "B-A")
    first = checkpoints.write_checkpoint().tree_size
    sign_batch(engine, site, "B-B")
    _unsigned(engine, "B-B", seq=7)
    site.sizes = (first, checkpoints.write_checkpoint().tree_size)
    with session_scope(engine) as session:
        rows = session.exec(select(AuditRow).where(AuditRow.entity == "step_record")).all()
        site.entry_of = {row.entity_id: row.idx for row in rows}
    return site


def _open(engine: Engine, user_id: str) -> SigningUser:
    with session_scope(engine) as session:
        row = active_key(session=session, user_id=user_id)
    assert row is not None
    key = unwrap_key(WrappedKey.from_json(row.wrapped), f"ebr-demo-{user_id}")
    return SigningUser(user_id=user_id, key=key, key_id=row.key_id)


def payload(
    site: Site,
    batch_id: str,
    seq: int,
    prev_hash: str,
    user_id: str,
    step_id: str,
    meaning: Meaning,
    values: tuple[RecordedValue, ...] = (),
    corrects: str | None = None,
) -> RecordPayload:
    return RecordPayload(
        batch_id=batch_id,
        recipe_hash=site.recipe_hash,
        seq=seq,
        prev_hash=prev_hash,
        step_id=step_id,
        execution=1,
        meaning=meaning,
        values=values,
        reason="typo on the scale printout" if corrects else None,
        corrects=corrects,
        signer=Signer(user_id=user_id, full_name=NAMES[user_id]),
        station="line-1",
        signed_at=datetime.now(UTC),
    )


def sign(user: SigningUser, content: RecordPayload) -> tuple[str, str]:
    """(record hash is computed by the caller) -> (base64 signature, key id)."""
    _, signature = sign_payload(user.key, content.signable())
    return base64.b64encode(signature.value).decode("ascii"), signature.key_id


def persist(engine: Engine, site: Site, content: RecordPayload, user: SigningUser) -> str:
    signature, key_id = sign(user, content)
    stored = SignedRecordActivities(engine, site.trust.ca.certificate).persist_signed_record(
        PersistSignedInput(
            payload=content,
            signature=signature,
            key_id=key_id,
            status=BatchStatus.IN_PROGRESS,
            steps_done=min(content.seq, 5),
            completed_at=None,
        )
    )
    return stored.record_hash


def sign_batch(engine: Engine, site: Site, batch_id: str) -> None:
    """Six signed records: perform, weigh, verify, check, supervise, correct."""
    weighed = f"{batch_id}/weigh-api/1/performed"
    steps = [
        ("olga", "read-sop", Meaning.PERFORMED, (), None),
        ("olga", "weigh-api", Meaning.PERFORMED, (WEIGHT,), None),
        ("omar", "weigh-api", Meaning.VERIFIED, (), None),
        ("olga", "clean-check", Meaning.PERFORMED, (_check(),), None),
        ("sam", "mixer", Meaning.PERFORMED, (_speed(),), None),
        ("olga", "weigh-api", Meaning.CORRECTED, (_corrected(),), weighed),
    ]
    head = GENESIS
    for seq, (user_id, step_id, meaning, values, corrects) in enumerate(steps, start=1):
        content = payload(site, batch_id, seq, head, user_id, step_id, meaning, values, corrects)
        head = persist(engine, site, content, site.users[user_id])


def _unsigned(engine: Engine, batch_id: str, seq: int) -> None:
    record = StepRecord(
        record_id=f"{batch_id}/note/1/performed",
        batch_id=batch_id,
        seq=seq,
        step_id="note",
        execution=1,
        meaning=Meaning.PERFORMED,
        values=(),
        user_id="olga",
        user_name=NAMES["olga"],
        station="line-1",
        recorded_at=datetime.now(UTC),
    )
    with session_scope(engine) as session:
        insert_step_record(session=session, record=record)


def _check() -> RecordedValue:
    return RecordedValue(name="clean", type="check", value=True)


def _speed() -> RecordedValue:
    return RecordedValue(name="speed", type="choice", value="low")


def _corrected() -> RecordedValue:
    return WEIGHT.model_copy(update={"value": "25.02", "entered": "25.02 kg"})
