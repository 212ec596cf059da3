"""Signed actions over HTTP: the password opens the signer's key for this request only, the
record is signed on the batch's current chain head, and the workflow records it as signed.

Step records (``sign_step``) and batch-level decisions (``sign_decision``: release, rejection,
a deviation's disposition, lifting a hold) go through the same loop, ``_sign_on_head``."""

from __future__ import annotations

import asyncio
import hashlib
from base64 import b64encode
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

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
from ebr.domain.recipe import Recipe
from ebr.domain.records import Meaning, StepRecord
from ebr.domain.refusals import InvalidValues, Refusal, UnknownStep
from ebr.domain.signed import RecordPayload, Signer
from ebr.domain.values import RecordedValue, validate_values
from signatures.records import sign_payload
from workflows.batch import BatchWorkflow
from workflows.messages import BatchOutcome, Decided, SignedAction, StepRecorded

V = TypeVar("V")
A = TypeVar("A")

# A concurrent record moves the chain head; the signature is made again on the new head.
SIGNING_ATTEMPTS = 4


@dataclass(frozen=True)
class SignedStep:
    """What the workflow answered, and the record as stored (the workflow answers after the
    store commits, and what was stored is exactly what was signed)."""

    recorded: StepRecorded
    view: RecordView


@dataclass(frozen=True)
class SignedDecision:
    """A signed batch-level decision as the workflow recorded it, and its record as stored."""

    decided: Decided
    view: RecordView


@dataclass(frozen=True)
class _Content:
    """What a person signs, apart from where the batch's chain stands and the step's execution."""

    step_id: str
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
) -> SignedStep:
    """Sign a step record (performed, verified or corrected) as ``actor`` and have it recorded.

    Checked here, before the password is tried: the signature's meaning is the action's, and the
    entered values fit the recipe (a value error on a step that may not be done now reports why
    it may not). The record is signed for the step's current execution: this process's last
    knowledge of it, or for a correction the store's (a correction names the record it corrects);
    an ``execution_moved`` refusal (a rework opened the step again) names the execution to sign.

    Raises a Refusal: wrong meaning, unknown batch or step, values, the workflow's refusals, and
    the account controls' (wrong password, locked account, expired signing session).
    """
    _check_meaning(signature, meaning)
    recipe_hash = hints.recipe_hash(context.reads, batch_id)
    recipe = hints.recipe(context.reads, recipe_hash)
    try:
        values = _typed_values(recipe, step_id, meaning, entered or {})
    except InvalidValues:
        await _refuse_by_rules_first(context, actor, batch_id, recipe, step_id, meaning)
        raise
    content = _Content(
        step_id=step_id,
        meaning=meaning,
        values=values,
        comment=comment,
        reason=reason,
        entered=entered or {},
    )
    if meaning is Meaning.CORRECTED:
        execution = hints.stored_execution(context.reads, batch_id, step_id)
    else:
        execution = hints.EXECUTIONS.get(f"{batch_id}\n{step_id}") or 1

    async def send(action: SignedAction) -> StepRecorded:
        return await Commands.of(context).update(batch_id, BatchWorkflow.sign, action)

    recorded, view = await _sign_on_head(
        context=context,
        actor=actor,
        batch_id=batch_id,
        recipe_hash=recipe_hash,
        content=content,
        execution=execution,
        signature=signature,
        send=send,
    )
    hints.EXECUTIONS.put(f"{batch_id}\n{step_id}", recorded.record.execution)
    return SignedStep(recorded=recorded, view=view)


async def sign_decision(
    *,
    context: ApiContext,
    actor: Actor,
    batch_id: str,
    subject: str,
    meaning: Meaning,
    signature: SignatureBody,
    comment: str | None = None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> SignedDecision:
    """Sign a batch-level decision as ``actor`` and have the batch's workflow decide it.

    ``subject`` is the decision's ``step_id`` (``ebr.domain.signed``: the batch, a deviation or
    a hold); the record is signed exactly as a step record is (same chain, same retry), for
    execution 1, with no values and with ``detail`` when the decision has structured content.
    Whether the decision may be taken (role, segregation of duties, what is missing, reason) is
    the workflow's to say; its refusals come back as they are (``Refusal``).
    """
    _check_meaning(signature, meaning)
    recipe_hash = hints.recipe_hash(context.reads, batch_id)
    content = _Content(
        step_id=subject, meaning=meaning, comment=comment, reason=reason, detail=detail
    )

    async def send(action: SignedAction) -> Decided:
        return await Commands.of(context).update(batch_id, BatchWorkflow.decide, action)

    decided, view = await _sign_on_head(
        context=context,
        actor=actor,
        batch_id=batch_id,
        recipe_hash=recipe_hash,
        content=content,
        execution=1,
        signature=signature,
        send=send,
    )
    return SignedDecision(decided=decided, view=view)


def _check_meaning(signature: SignatureBody, meaning: Meaning) -> None:
    if signature.meaning is not meaning:
        raise WrongMeaning(
            f"this action is signed as {meaning.value!r}, not {signature.meaning.value!r}",
            {"field": "signature.meaning"},
        )


async def _sign_on_head(
    *,
    context: ApiContext,
    actor: Actor,
    batch_id: str,
    recipe_hash: str,
    content: _Content,
    execution: int,
    signature: SignatureBody,
    send: Callable[[SignedAction], Awaitable[A]],
) -> tuple[A, RecordView]:
    """The one signing loop: open the signer's key with the password, sign ``content`` on the
    batch's chain head, send it; when the workflow answers ``chain_moved`` (another record came
    first) or ``execution_moved`` (the step was opened again), sign again where it says."""
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
    seq, head = hints.CHAIN_HEADS.get(batch_id) or hints.stored_head(context.reads, batch_id)
    for attempt in range(SIGNING_ATTEMPTS):
        corrects = (
            StepRecord.make_id(batch_id, content.step_id, execution, Meaning.PERFORMED)
            if content.meaning is Meaning.CORRECTED
            else None
        )
        payload = RecordPayload(
            batch_id=batch_id,
            recipe_hash=recipe_hash,
            seq=seq + 1,
            prev_hash=head,
            step_id=content.step_id,
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
            answer = await send(action)
        except Refusal as exc:
            if attempt == SIGNING_ATTEMPTS - 1:
                raise
            if exc.code == "chain_moved":
                # The workflow says where its chain stands: sign again on that head (after a
                # moment: a record still being stored has taken its number but not its hash).
                seq, head = exc.details["seq"] - 1, exc.details["prev_hash"]
                await asyncio.sleep(0.02 * (attempt + 1))
                continue
            if exc.code == "execution_moved" and _names_step(exc.details, content.step_id):
                execution = int(exc.details["execution"])
                continue
            raise
        hints.CHAIN_HEADS.put(batch_id, (payload.seq, hashlib.sha256(canonical).hexdigest()))
        view = signed_view(
            payload, canonical=canonical, signature=action.signature, key_id=key.key_id
        )
        return answer, view
    raise AssertionError("unreachable")


def _names_step(details: Any, step_id: str) -> bool:
    return (
        isinstance(details, dict) and details.get("step_id") == step_id and "execution" in details
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
