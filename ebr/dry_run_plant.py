"""The simulated plant of a recipe dry run (``ebr.dry_run``): its signers, the batches it starts
on a time-skipping server, and how it completes and verifies their steps.

Each role has a simulated person (a real Ed25519 key certified by the dry run's own CA, its user
and key rows in the dry run's own store); a step verified only by its own role gets a second
person of that role. A record is an ``ebr.record/2`` payload signed on the batch's chain head as
the API signs it (``api.signing``) and sent to the batch's workflow, which checks and records it.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import uuid
from base64 import b64encode
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from temporalio.client import WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from api.commands import answered
from ebr.domain.batch import Actor, BatchHeader, BatchStatus
from ebr.domain.dry_run import StepRefused
from ebr.domain.dry_run_values import in_limit_values
from ebr.domain.execution import verifiers_of
from ebr.domain.meanings import Meaning
from ebr.domain.recipe import Recipe, Step
from ebr.domain.refusals import ChainMoved, Refusal
from ebr.domain.roles import Role
from ebr.domain.signed_records import GENESIS, RecordPayload, Signer
from ebr.domain.step_verification import needs_verification
from ebr.domain.subjects import batch_chain, step_subject
from ebr.domain.values import validate_values
from ebr.store.batch_events import load_batch_events
from ebr.store.db import session_scope
from ebr.store.keys import add_user_key
from ebr.store.users import add_user
from ebr.trust import SiteTrust
from signatures.ca import certificate_pem, issue_user_certificate
from signatures.keys import FAST_TEST_PARAMS, generate_key, public_key_id, wrap_key
from signatures.signing import sign_payload
from workflows.batch_workflow import BatchWorkflow, search_attributes_for
from workflows.messages import BatchOutcome, Recorded, SignedAction, StartBatch

__all__ = ["STATION", "Plant", "Refused", "SimulatedBatch", "SimulatedSigner", "words"]

STATION = "dry-run"


class Refused(Exception):
    """The workflow (or the values' own rules) refused a simulated record: the run stops."""

    def __init__(self, refused: StepRefused) -> None:
        super().__init__(refused.message)
        self.refused = refused


@dataclass(frozen=True)
class SimulatedSigner:
    """A simulated person: who they are, their private key, and its id."""

    actor: Actor
    key: Ed25519PrivateKey
    key_id: str


@dataclass
class SimulatedBatch:
    """A simulated batch: its workflow, where its chain stands, and when its next step starts."""

    handle: WorkflowHandle[BatchWorkflow, BatchOutcome]
    started_at: datetime
    ready_at: datetime
    seq: int = 0
    head: str = GENESIS

    @property
    def batch_id(self) -> str:
        return self.handle.id


@dataclass
class Plant:
    """The simulated plant: its clock, store, trust, signers and the batches it started."""

    env: WorkflowEnvironment
    engine: Engine
    trust: SiteTrust
    task_queue: str
    recipe: Recipe
    signers: dict[tuple[Role, int], SimulatedSigner] = field(default_factory=dict)
    started: list[str] = field(default_factory=list)

    async def start(self, label: str) -> SimulatedBatch:
        """A new batch of the recipe, started now on the server's clock."""
        number = f"DRY-{label}-{uuid.uuid4().hex[:8]}".upper()
        now = await self.env.get_current_time()
        recipe = self.recipe
        header = BatchHeader(
            batch_id=number,
            batch_number=number,
            recipe_code=recipe.code,
            recipe_version=recipe.version,
            recipe_hash=recipe.content_hash(),
            product_code=recipe.product.code,
            planned_quantity=recipe.batch_size,
            created_by=(await self.signer(Role.SUPERVISOR)).actor.user_id,
            created_at=now,
        )
        handle = await self.env.client.start_workflow(
            BatchWorkflow.run,
            StartBatch(header=header, recipe=recipe, station=STATION),
            id=number,
            task_queue=self.task_queue,
            search_attributes=search_attributes_for(recipe.code, BatchStatus.IN_PROGRESS),
        )
        self.started.append(number)
        await answered(handle.execute_update(BatchWorkflow.opened))
        return SimulatedBatch(handle=handle, started_at=now, ready_at=now)

    async def perform(
        self, batch: SimulatedBatch, step: Step, entered: dict[str, Any], comment: str | None = None
    ) -> Recorded:
        """Complete ``step`` once its minimum duration has passed on the server's clock."""
        if step.min_duration_minutes is not None:
            # A second after the minimum, as a person would at the earliest: completing at the very
            # instant a timer fires hangs the simulated run (seen with a minimum equal to the
            # maximum; the static finding reports that step as unreachable anyway).
            earliest = timedelta(minutes=step.min_duration_minutes, seconds=1)
            await self._wait_until(batch.ready_at + earliest)
        performer = await self.signer(step.role)
        recorded = await self._sign(batch, step, performer, Meaning.PERFORMED, entered, comment)
        if not needs_verification(step):
            batch.ready_at = recorded.record.recorded_at
        return recorded

    async def verify(self, batch: SimulatedBatch, step: Step) -> Recorded:
        recorded = await self._sign(batch, step, await self.verifier(step), Meaning.VERIFIED, {})
        batch.ready_at = recorded.record.recorded_at
        return recorded

    async def execute(self, batch: SimulatedBatch, step: Step) -> None:
        """Complete ``step`` with values in their limits and, if it needs it (the recipe asks for
        it, or it records a critical input), verify it."""
        await self.perform(batch, step, in_limit_values(step))
        if needs_verification(step):
            await self.verify(batch, step)

    async def signer(self, role: Role, person: int = 1) -> SimulatedSigner:
        if (role, person) not in self.signers:
            now = await self.env.get_current_time()
            enrolled = await asyncio.to_thread(self._enrol, role, person, now)
            self.signers[(role, person)] = enrolled
        return self.signers[(role, person)]

    async def verifier(self, step: Step) -> SimulatedSigner:
        """Another role that may verify the step (the least senior), else a second person of
        the step's own role."""
        others = [r for r in Role if r in verifiers_of(step.role) and r is not step.role]
        return await (self.signer(others[0]) if others else self.signer(step.role, 2))

    def _enrol(self, role: Role, person: int, now: datetime) -> SimulatedSigner:
        """A user holding ``role``, with a new key certified by the plant's CA; the key never
        leaves this process (its stored copy is wrapped under a password nobody knows)."""
        user_id = f"sim-{role.value}" + ("" if person == 1 else f"-{person}")
        actor = Actor(
            user_id=user_id,
            full_name=f"Simulated {role.value}" + ("" if person == 1 else f" {person}"),
            roles=(role,),
            station=STATION,
        )
        key = generate_key()
        certificate = issue_user_certificate(
            self.trust.ca,
            user_id=user_id,
            full_name=actor.full_name,
            public_key=key.public_key(),
            now=now,
        )
        key_id = public_key_id(key.public_key())
        wrapped = wrap_key(key, secrets.token_urlsafe(24), params=FAST_TEST_PARAMS)
        with session_scope(self.engine) as session:
            add_user(
                session=session,
                user_id=user_id,
                full_name=actor.full_name,
                roles=actor.roles,
                password_hash="simulated: never signs in",
                created_by=STATION,
                at=now,
            )
            add_user_key(
                session=session,
                key_id=key_id,
                user_id=user_id,
                wrapped=wrapped.to_json(),
                certificate_pem=certificate_pem(certificate),
                valid_from=now,
            )
        return SimulatedSigner(actor=actor, key=key, key_id=key_id)

    async def _wait_until(self, moment: datetime) -> None:
        now = await self.env.get_current_time()
        if now < moment:
            await self.env.sleep(moment - now)

    async def _sign(
        self,
        batch: SimulatedBatch,
        step: Step,
        signer: SimulatedSigner,
        meaning: Meaning,
        entered: dict[str, Any],
        comment: str | None = None,
    ) -> Recorded:
        """Sign the record on the batch's chain head as the API does and have the workflow
        record it; a refusal stops the run (``_Refused``)."""
        try:
            values = validate_values(step, entered) if meaning is Meaning.PERFORMED else ()
            at = await self.env.get_current_time()
            for _ in range(3):
                payload = RecordPayload(
                    chain=batch_chain(batch.batch_id),
                    recipe_hash=self.recipe.content_hash(),
                    seq=batch.seq + 1,
                    prev_hash=batch.head,
                    subject=step_subject(step.id),
                    meaning=meaning,
                    values=values,
                    comment=comment,
                    signer=Signer(user_id=signer.actor.user_id, full_name=signer.actor.full_name),
                    station=STATION,
                    signed_at=at,
                )
                canonical, signature = sign_payload(signer.key, payload.signable())
                action = SignedAction(
                    actor=signer.actor,
                    payload=payload,
                    key_id=signer.key_id,
                    signature=b64encode(signature.value).decode("ascii"),
                    entered=entered,
                )
                try:
                    recorded = await answered(
                        batch.handle.execute_update(BatchWorkflow.sign, action)
                    )
                except ChainMoved as moved:
                    batch.seq, batch.head = moved.details["seq"] - 1, moved.details["prev_hash"]
                    continue
                batch.seq, batch.head = payload.seq, hashlib.sha256(canonical).hexdigest()
                return recorded
            raise ChainMoved("the batch's chain kept moving while the dry run signed")
        except Refusal as exc:
            refused = StepRefused(
                step_id=step.id, meaning=meaning.value, code=exc.code, message=words(exc)
            )
            raise Refused(refused) from exc

    async def end_everything(self) -> None:
        """Terminate every batch and deviation workflow the dry run started: on a shared
        time-skipping server a timer whose worker is gone would stop the clock."""
        with session_scope(self.engine) as session:
            deviations = [
                d.id
                for batch_id in self.started
                for d in load_batch_events(session=session, batch_id=batch_id).deviations
            ]
        for workflow_id in [*self.started, *deviations]:
            try:
                await self.env.client.get_workflow_handle(workflow_id).terminate("dry run over")
            except RPCError:
                pass  # it had ended already


def words(refusal: Refusal) -> str:
    """The refusal's message, with each field's reason when it lists them (bad values)."""
    details = refusal.details
    if isinstance(details, list) and all(isinstance(d, dict) and "reason" in d for d in details):
        reasons = "; ".join(f"{d.get('field', '-')}: {d['reason']}" for d in details)
        return f"{refusal.message}: {reasons}" if reasons else refusal.message
    return refusal.message
