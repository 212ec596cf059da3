"""Signed actions over HTTP: the password opens the signer's key for this request only, the
record is signed on its chain's current head, and the workflow that owns the chain records it as
signed.

Step records (``sign_step``) and decisions on a batch's subjects (``sign_decision``: release,
rejection, a deviation's disposition, a hold's lift, a redline's proposal or decision) go through
the one loop, ``sign_on_head``, which signs a record of any subject on any chain (``Target``): the
subject is typed, and the chain is the one its kind joins."""

from __future__ import annotations

import asyncio
import hashlib
from base64 import b64encode
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from fastapi.concurrency import run_in_threadpool
from temporalio.client import WorkflowHandle, WorkflowQueryFailedError
from temporalio.service import RPCError

from api import signing_hints as hints
from api.batch_views import signed_view
from api.commands import Commands
from api.context import ApiContext
from api.refusals import WrongMeaning
from api.schemas import RecordView, SignatureBody
from ebr.accounts import Controls, open_signing_key
from ebr.domain.batch import Actor
from ebr.domain.execution import check_complete, check_correct
from ebr.domain.meanings import Meaning
from ebr.domain.recipe import Recipe
from ebr.domain.refusals import InvalidValues, Refusal, UnknownStep
from ebr.domain.signed_records import RecordPayload, Signer, step_record_id
from ebr.domain.step_verification import VerificationDetail
from ebr.domain.subjects import Chain, Subject, SubjectKind, batch_chain, step_subject
from ebr.domain.values import RecordedValue, validate_values
from signatures.signing import sign_payload
from workflows.batch_workflow import BatchWorkflow
from workflows.messages import BatchOutcome, Recorded, SignedAction

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


async def sign_step(
    *,
    context: ApiContext,
    actor: Actor,
    batch_id: str,
    step_id: str,
    meaning: Meaning,
    signature: SignatureBody,
    entered: dict[str, Any] | None = None,
    comment: str | None = None,
    reason: str | None = None,
) -> Signed[Recorded]:
    """Sign a step record (performed, verified or corrected) as ``actor`` and have it recorded.

    Checked here, before the password is tried: the signature's meaning is the action's, and the
    entered values fit the recipe the batch runs, its recipe version as its approved redlines
    change it (a value error on a step that may not be done now reports why it may not). The
    record is signed for the step's current execution: this process's last knowledge of it, or
    for a correction or a verification the store's (a correction names the record it corrects; a
    verification of corrected values names the latest correction, whose values it verifies); an
    ``execution_moved`` refusal (a rework opened the step again) names the execution to sign.

    Raises a Refusal: wrong meaning, unknown batch or step, values, the workflow's refusals, and
    the account controls' (wrong password, locked account, expired signing session).
    """
    _check_meaning(signature, meaning)
    recipe_hash = hints.recipe_hash(context.reads, batch_id)
    recipe = hints.batch_recipe(context.reads, batch_id, recipe_hash)
    try:
        values = _typed_values(recipe, step_id, meaning, entered or {})
    except InvalidValues:
        await _refuse_by_rules_first(context, actor, batch_id, recipe, step_id, meaning)
        raise
    detail = None
    if meaning is Meaning.CORRECTED:
        execution = hints.stored_execution(context.reads, batch_id, step_id)
    elif meaning is Meaning.VERIFIED:
        # Signed on the values the store shows: a correction since is refused in words.
        execution, corrected = hints.stored_verification(context.reads, batch_id, step_id)
        detail = VerificationDetail(verifies=corrected).detail() if corrected else None
    else:
        execution = hints.EXECUTIONS.get(f"{batch_id}\n{step_id}") or 1
    content = Content(
        subject=step_subject(step_id),
        meaning=meaning,
        values=values,
        comment=comment,
        reason=reason,
        detail=detail,
        entered=entered or {},
    )
    signed = await sign_on_head(
        context, actor, _batch(context, batch_id, recipe_hash), content, signature, execution
    )
    hints.EXECUTIONS.put(f"{batch_id}\n{step_id}", signed.recorded.record.execution)
    return signed


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
        context, actor, _batch(context, batch_id, recipe_hash), content, signature
    )


def _batch(context: ApiContext, batch_id: str, recipe_hash: str) -> Target[Recorded]:
    async def send(action: SignedAction) -> Recorded:
        return await Commands.of(context).update(batch_id, BatchWorkflow.sign, action)

    return Target(chain=batch_chain(batch_id), recipe_hash=recipe_hash, send=send)


def _check_meaning(signature: SignatureBody, meaning: Meaning) -> None:
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
    _check_meaning(signature, content.meaning)
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


async def _refuse_by_rules_first(
    context: ApiContext,
    actor: Actor,
    batch_id: str,
    recipe: Recipe,
    step_id: str,
    meaning: Meaning,
) -> None:
    """Bad values on a step that may not be done now: say why it may not (order, role, state),
    as the workflow would, rather than what is wrong with the values. Only on this error path
    is the batch's state asked for."""
    handle: WorkflowHandle[BatchWorkflow, BatchOutcome] = context.temporal.get_workflow_handle(
        batch_id
    )
    try:
        state = await handle.query(BatchWorkflow.state)
    except (RPCError, WorkflowQueryFailedError):
        return
    try:
        if meaning is Meaning.CORRECTED:
            check_correct(state, recipe, step_id=step_id, actor=actor, values={}, reason="-")
        else:
            check_complete(state, recipe, step_id=step_id, actor=actor, values={})
    except InvalidValues:
        return  # the rules allow the action: the caller reports its own value errors


def _typed_values(
    recipe: Recipe, step_id: str, meaning: Meaning, entered: dict[str, Any]
) -> tuple[RecordedValue, ...]:
    step = recipe.step(step_id)
    if step is None:
        raise UnknownStep(
            f"recipe {recipe.code} v{recipe.version} has no step {step_id!r}", {"step_id": step_id}
        )
    if meaning is Meaning.VERIFIED:
        return ()
    return validate_values(step, entered)
