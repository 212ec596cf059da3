"""Signed actions over HTTP: the password opens the signer's key for this request only, the
record is signed on its chain's current head, and the workflow that owns the chain records it as
signed.

Step records (``api.steps.sign_step``) and decisions on a batch's subjects (``sign_decision``:
release, rejection, a deviation's classification or disposition, a hold's lift, a redline's
proposal or decision) go through the one loop, ``sign_on_head``, which signs a record of any
subject on any chain (``Target``): the subject is typed, and the chain is the one its kind joins.
"""

from __future__ import annotations

import asyncio
import hashlib
from base64 import b64encode
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from fastapi.concurrency import run_in_threadpool

from api import signing_hints as hints
from api.batch_views import signed_view
from api.commands import Commands
from api.context import ApiContext
from api.refusals import WrongMeaning
from api.schemas import RecordView, SignatureBody
from ebr.accounts import Controls, open_signing_key
from ebr.domain.batch import Actor
from ebr.domain.meanings import Meaning
from ebr.domain.refusals import Refusal
from ebr.domain.signed_records import RecordPayload, Signer, step_record_id
from ebr.domain.subjects import Chain, Subject, SubjectKind, batch_chain
from ebr.domain.values import RecordedValue
from signatures.signing import sign_payload
from workflows.batch_workflow import BatchWorkflow
from workflows.messages import Recorded, SignedAction

A = TypeVar("A")

# A concurrent record moves the chain head; the signature is made again on the new head.
SIGNING_ATTEMPTS = 4


@dataclass(frozen=True)
class Signed(Generic[A]):
    """What the workflow answered, and the record as stored (the workflow answers after the
    store commits, and what was stored is exactly what was signed)."""

    recorded: A
    view: RecordView


@dataclass(frozen=True)
class Target(Generic[A]):
    """Where a record is signed: its chain, the recipe hash it binds (a batch's, or the recipe
    version's own), and the workflow update that records it."""

    chain: Chain
    recipe_hash: str | None
    send: Callable[[SignedAction], Awaitable[A]]


@dataclass(frozen=True)
class Content:
    """What a person signs, apart from where the chain stands and the step's execution."""

    subject: Subject
    meaning: Meaning
    values: tuple[RecordedValue, ...] = ()
    comment: str | None = None
    reason: str | None = None
    detail: dict[str, Any] | None = None
    entered: dict[str, Any] = field(default_factory=dict)


async def sign_decision(
    *,
    context: ApiContext,
    actor: Actor,
    batch_id: str,
    subject: Subject,
    meaning: Meaning,
    signature: SignatureBody,
    comment: str | None = None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> Signed[Recorded]:
    """Sign a decision on one of the batch's subjects (``ebr.domain.subjects``: the batch, a
    deviation or a hold) as ``actor`` and have the batch's workflow decide it.

    The record is signed exactly as a step record is (same chain, same retry), with no values and
    with ``detail`` when the decision has structured content. Whether the decision may be taken
    (role, segregation of duties, what is missing, reason) is the workflow's to say; its refusals
    come back as they are (``Refusal``).
    """
    recipe_hash = hints.recipe_hash(context.reads, batch_id)
    content = Content(
        subject=subject, meaning=meaning, comment=comment, reason=reason, detail=detail
    )
    return await sign_on_head(
        context, actor, batch_target(context, batch_id, recipe_hash), content, signature
    )


def batch_target(context: ApiContext, batch_id: str, recipe_hash: str) -> Target[Recorded]:
    """A batch's chain, its recipe hash, and the workflow update that records a signed record."""

    async def send(action: SignedAction) -> Recorded:
        return await Commands.of(context).update(batch_id, BatchWorkflow.sign, action)

    return Target(chain=batch_chain(batch_id), recipe_hash=recipe_hash, send=send)


def check_meaning(signature: SignatureBody, meaning: Meaning) -> None:
    if signature.meaning is not meaning:
        raise WrongMeaning(
            f"this action is signed as {meaning.value!r}, not {signature.meaning.value!r}",
            {"field": "signature.meaning"},
        )


async def sign_on_head(
    context: ApiContext,
    actor: Actor,
    target: Target[A],
    content: Content,
    signature: SignatureBody,
    execution: int = 1,
) -> Signed[A]:
    """The one signing loop: open the signer's key with the password, sign ``content`` on the
    chain's head, send it; when the workflow answers ``chain_moved`` (another record came first)
    or ``execution_moved`` (the step was opened again), sign again where it says. The signature
    must be given for the content's meaning (``wrong_meaning``) before the password is tried."""
    check_meaning(signature, content.meaning)
    now = datetime.now(UTC)
    key = await run_in_threadpool(
        open_signing_key,
        context.engine,
        user_id=actor.user_id,
        claimed_user_id=signature.user_id,
        password=signature.password,
        station=actor.station,
        now=now,
        controls=Controls.of(context.settings),
    )
    chain = target.chain
    seq, head = hints.CHAIN_HEADS.get(str(chain)) or hints.stored_head(context.reads, chain)
    for attempt in range(SIGNING_ATTEMPTS):
        corrects = (
            step_record_id(chain.id, content.subject.id, execution, Meaning.PERFORMED)
            if content.meaning is Meaning.CORRECTED
            else None
        )
        payload = RecordPayload(
            chain=chain,
            recipe_hash=target.recipe_hash,
            seq=seq + 1,
            prev_hash=head,
            subject=content.subject,
            execution=execution,
            meaning=content.meaning,
            values=content.values,
            comment=content.comment,
            reason=content.reason,
            corrects=corrects,
            signer=Signer(user_id=actor.user_id, full_name=actor.full_name),
            station=actor.station,
            signed_at=now,
            detail=content.detail,
        )
        canonical, signed = sign_payload(key.key, payload.signable())
        action = SignedAction(
            actor=actor,
            payload=payload,
            key_id=key.key_id,
            signature=b64encode(signed.value).decode("ascii"),
            entered=content.entered,
        )
        try:
            answer = await target.send(action)
        except Refusal as exc:
            if attempt == SIGNING_ATTEMPTS - 1:
                raise
            if exc.code == "chain_moved":
                # The workflow says where its chain stands: sign again on that head (after a
                # moment: a record still being stored has taken its number but not its hash).
                seq, head = exc.details["seq"] - 1, exc.details["prev_hash"]
                await asyncio.sleep(0.02 * (attempt + 1))
                continue
            if exc.code == "execution_moved" and _names_step(exc.details, content.subject):
                execution = int(exc.details["execution"])
                continue
            raise
        hints.CHAIN_HEADS.put(str(chain), (payload.seq, hashlib.sha256(canonical).hexdigest()))
        view = signed_view(
            payload, canonical=canonical, signature=action.signature, key_id=key.key_id
        )
        return Signed(recorded=answer, view=view)
    raise AssertionError("unreachable")


def _names_step(details: Any, subject: Subject) -> bool:
    return (
        subject.kind is SubjectKind.BATCH_STEP
        and isinstance(details, dict)
        and details.get("step_id") == subject.id
        and "execution" in details
    )
