"""A real site for verification tests: trust material, demo users with keys, chains of every kind.

Records are signed with the demo users' real keys and stored with their audit entries as the
signing activity stores them (``tests.chains``), and the log is checkpointed with
``AuditLogActivities``; Temporal is left out. The site holds:

- batch B-A: six step records, then QA's signed dispositions of deviations B-A-DEV-1 and
  B-A-DEV-2, QA's lifts of holds B-A-H1 and B-A-H2, and the batch's release (11 records);
- batch B-B: six step records;
- batch B-RL: a step record, sam's redline B-RL-RL1 (adds step ``sample`` after ``clean-check``)
  and quinn's approval of it, then four step records, the added step's last (7 records);
- recipe version TEST-MIX/1, saved (audited) and signed before the batches start: authored by
  sam, reviewed by rita, approved by quinn, each binding its content hash;
- lot LOT-7 (identity verified, then approved for use);
- the demo users' accounts as seeding enrols them (``ebr.seed``: each created by adam, adam's
  own self-signed as the site's founder, each identity confirmed by quinn, quinn's by adam: 16
  records), then adam's signed changes: omar given the supervisor role too (account:omar seq 3),
  ada disabled (account:ada seq 3); and aude locked out for good by five wrong passwords
  (audited, unsigned), so ``ebr verify`` holds every user row to its chain and its lockouts.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import select

from activities.audit_log import AuditLogActivities
from ebr.accounts import Controls, change_roles, disable_user, open_signatory, sign_in
from ebr.domain.meanings import Meaning
from ebr.domain.redline_changes import RedlineContent
from ebr.domain.refusals import Refusal
from ebr.domain.roles import Role
from ebr.domain.subjects import (
    Chain,
    ChainKind,
    Subject,
    SubjectKind,
    batch_chain,
    batch_subject,
    deviation_subject,
    hold_subject,
    redline_subject,
    step_subject,
)
from ebr.domain.values import RecordedValue
from ebr.seed import DEMO_USERS, demo_password, seed_demo
from ebr.store.audit import AuditRow
from ebr.store.batches import insert_batch
from ebr.store.db import session_scope
from ebr.trust import SiteTrust, load_or_create_trust
from tests.chains import Chains, SigningUser, approve_recipe
from tests.factories import header_for, small_recipe

SITE_NAME = "Verification Test Site"
NAMES = {user.user_id: user.full_name for user in DEMO_USERS}
SIGNERS = ("olga", "omar", "sam", "quinn", "rita", "adam")
WEIGHT = RecordedValue(
    name="weight",
    type="number",
    value="25.01",
    unit="kg",
    entered="25.01 kg",
    in_spec=True,
    critical=True,
)
RECIPE = "TEST-MIX/1"
LOT = Chain(kind=ChainKind.LOT, id="LOT-7")
ACCOUNT = Chain(kind=ChainKind.ACCOUNT, id="omar")
LOCKED = "aude"  # locked out until an administrator unlocks her
LOCKOUT = Controls(
    max_failures=5,
    password_max_age=timedelta(days=90),
    password_min_length=10,
    signing_session=timedelta(minutes=15),
    lockout=None,
    throttle=timedelta(0),
)
RECIPE_VERSION = Chain(kind=ChainKind.RECIPE_VERSION, id=RECIPE)
DISPOSITION = {"decision": "accept", "rework_steps": [], "capa_ref": "CAPA-7"}
REDLINED = "B-RL"
SAMPLING = RedlineContent.model_validate(
    {
        "changes": [
            {
                "kind": "add_step",
                "after": "clean-check",
                "step": {
                    "id": "sample",
                    "name": "Take a sample",
                    "instructions": "Take a 5 g sample for the lab.",
                    "kind": "instruction",
                },
            }
        ]
    }
)


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
            "released": self.entry_of["B-A/batch:B-A/released"],
            "lot_approved": self.entry_of["lot:LOT-7/2"],
            "account_approved": self.entry_of["account:omar/3"],
            "locked": self.entry_of["locked:aude"],
        }


def make_trust(data_dir: Path) -> SiteTrust:
    return load_or_create_trust(data_dir, site_name=SITE_NAME, passphrase=None)


def build_site(engine: Engine, trust: SiteTrust) -> Site:
    """Seed users, then batches B-A (with decisions) and B-B, the lot, account and recipe
    version chains, and two checkpoints (after B-A, and at the end)."""
    seed_demo(engine, trust)
    recipe = small_recipe()
    chains = Chains(engine, trust)
    chains.open_demo(SIGNERS)
    site = Site(trust=trust, users=chains.users, recipe_hash=recipe.content_hash())
    approve_recipe(chains, recipe, ("sam", "rita", "quinn"))  # before the batches start
    with session_scope(engine) as session:
        for batch_id in ("B-A", "B-B", REDLINED):
            header = header_for(recipe, batch_id).model_copy(
                update={"created_at": datetime.now(UTC)}  # after the approval
            )
            insert_batch(session=session, header=header, steps_total=5)
    checkpoints = AuditLogActivities(engine, trust)
    sign_batch(chains, "B-A")
    decide_batch(chains, "B-A")
    first = checkpoints.write_checkpoint().tree_size
    sign_batch(chains, "B-B")
    sign_redlined_batch(chains)
    sign_other_chains(chains)
    site.sizes = (first, checkpoints.write_checkpoint().tree_size)
    with session_scope(engine) as session:
        rows = session.exec(select(AuditRow).where(AuditRow.entity == "signed_record")).all()
        site.entry_of = {row.entity_id: row.idx for row in rows}
        locked = session.exec(select(AuditRow).where(AuditRow.action == "account_locked")).one()
        site.entry_of[f"locked:{locked.entity_id}"] = locked.idx
    return site


def sign_batch(chains: Chains, batch_id: str) -> None:
    """Six signed step records: perform, weigh, verify, check, supervise, correct."""
    weighed = f"{batch_id}/weigh-api/1/performed"
    steps = [
        ("olga", "read-sop", Meaning.PERFORMED, (), None),
        ("olga", "weigh-api", Meaning.PERFORMED, (WEIGHT,), None),
        ("omar", "weigh-api", Meaning.VERIFIED, (), None),
        ("olga", "clean-check", Meaning.PERFORMED, (_check(),), None),
        ("sam", "mixer", Meaning.PERFORMED, (_speed(),), None),
        ("olga", "weigh-api", Meaning.CORRECTED, (_corrected(),), weighed),
    ]
    for user_id, step_id, meaning, values, corrects in steps:
        chains.append(
            batch_chain(batch_id),
            step_subject(step_id),
            meaning,
            by=user_id,
            values=values,
            corrects=corrects,
            reason="typo on the scale printout" if corrects else None,
        )


def sign_redlined_batch(chains: Chains) -> None:
    """Batch B-RL: sam's redline, proposed once the first step is done, approved by quinn; the
    batch then runs the step it added in its place."""
    chain, redline = batch_chain(REDLINED), redline_subject(f"{REDLINED}-RL1")
    chains.append(chain, step_subject("read-sop"), Meaning.PERFORMED, by="olga")
    chains.append(chain, redline, Meaning.PROPOSED, by="sam", reason="the lab asks for a sample",
                  detail=SAMPLING.detail())  # fmt: skip
    chains.append(chain, redline, Meaning.APPROVED, by="quinn",
                  detail={"content_hash": SAMPLING.content_hash()})  # fmt: skip
    steps = [
        ("olga", "weigh-api", Meaning.PERFORMED, (WEIGHT,)),
        ("omar", "weigh-api", Meaning.VERIFIED, ()),
        ("olga", "clean-check", Meaning.PERFORMED, (_check(),)),
        ("olga", "sample", Meaning.PERFORMED, ()),
    ]
    for user_id, step_id, meaning, values in steps:
        chains.append(chain, step_subject(step_id), meaning, by=user_id, values=values)


def decide_batch(chains: Chains, batch_id: str) -> None:
    """QA disposes of two deviations and lifts two holds; a second QA releases the batch."""
    chain = batch_chain(batch_id)
    decisions: list[tuple[Subject, Meaning, str, str]] = [
        (deviation_subject(f"{batch_id}-DEV-1"), Meaning.APPROVED, "quinn", "re-weighed in spec"),
        (hold_subject(f"{batch_id}-H1"), Meaning.APPROVED, "quinn", "deviation closed"),
        (deviation_subject(f"{batch_id}-DEV-2"), Meaning.APPROVED, "quinn", "label reprinted"),
        (hold_subject(f"{batch_id}-H2"), Meaning.APPROVED, "quinn", "mixer serviced"),
        (batch_subject(batch_id), Meaning.RELEASED, "rita", "all exceptions reviewed"),
    ]
    for subject, meaning, user_id, reason in decisions:
        detail = DISPOSITION if subject.kind is SubjectKind.DEVIATION else None
        chains.append(chain, subject, meaning, by=user_id, reason=reason, detail=detail)


def sign_other_chains(chains: Chains) -> None:
    """Records outside any batch: a lot's two; adam's signed changes to two accounts; and a
    lockout, audited as the sign-in refuses five wrong passwords."""
    lot = Subject(kind=SubjectKind.LOT, id=LOT.id)
    chains.append(LOT, lot, Meaning.VERIFIED, by="olga", comment="identity by NIR")
    chains.append(LOT, lot, Meaning.APPROVED, by="quinn", reason="certificate of analysis "
                       "checked", detail={"status": "approved"})  # fmt: skip
    now, engine = datetime.now(UTC), chains.engine
    adam = open_signatory(engine, user_id="adam", claimed_user_id="adam", station="office",
                          password=demo_password("adam"), now=now, controls=LOCKOUT)  # fmt: skip
    change_roles(engine, signatory=adam, user_id=ACCOUNT.id, roles=(Role.OPERATOR, Role.SUPERVISOR),
                 reason="trained operator, now supervises line 2", now=now)  # fmt: skip
    disable_user(engine, signatory=adam, user_id="ada", reason="left the company", now=now)
    for attempt in range(LOCKOUT.max_failures):
        with contextlib.suppress(Refusal):
            sign_in(engine, user_id=LOCKED, password=f"guess-{attempt}", station="kiosk",
                    now=now + timedelta(seconds=attempt + 1), controls=LOCKOUT)  # fmt: skip


def _check() -> RecordedValue:
    return RecordedValue(name="clean", type="check", value=True)


def _speed() -> RecordedValue:
    return RecordedValue(name="speed", type="choice", value="low")


def _corrected() -> RecordedValue:
    return WEIGHT.model_copy(update={"value": "25.02", "entered": "25.02 kg"})
