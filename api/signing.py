"""Signed actions over HTTP: the password opens the signer's key for this request only, the
record is signed on the batch's current chain head, and the workflow records it as signed."""

from __future__ import annotations

import asyncio
import hashlib
from base64 import b64encode
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Generic, TypeVar

from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine
from temporalio.client import WorkflowHandle, WorkflowQueryFailedError
from temporalio.service import RPCError

from api import batch_commands
from api.batch_views import signed_view
from api.context import ApiContext
from api.errors import ApiError
from api.schemas import RecordView, SignatureBody
from ebr.accounts import Controls, open_signing_key
from ebr.domain.batch import Actor
from ebr.domain.errors import InvalidValues, UnknownStep
from ebr.domain.execution import check_complete, check_correct
from ebr.domain.recipe import Recipe
from ebr.domain.records import Meaning, StepRecord
from ebr.domain.signed import GENESIS, RecordPayload, Signer
from ebr.domain.values import RecordedValue, validate_values
from ebr.store.batches import get_batch
from ebr.store.db import session_scope
from ebr.store.recipes import get_recipe_by_hash, recipe_of
from ebr.store.records import latest_record_hash
from signatures.records import sign_payload
from workflows.batch import BatchWorkflow
from workflows.messages import BatchOutcome, SignedAction, StepRecorded

V = TypeVar("V")

# A concurrent record moves the chain head; the signature is made again on the new head.
SIGNING_ATTEMPTS = 4


@dataclass(frozen=True)
class SignedStep:
    """What the workflow answered, and the record as stored (the workflow answers after the
    store commits, and what was stored is exactly what was signed)."""

    recorded: StepRecorded
    view: RecordView


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
    if signature.meaning is not meaning:
        raise ApiError(
            422,
            "wrong_meaning",
            f"this action is signed as {meaning.value!r}, not {signature.meaning.value!r}",
            {"field": "signature.meaning"},
        )
    now = datetime.now(UTC)
    recipe_hash = _recipe_hash(context.reads, batch_id)
    recipe = _recipe(context.reads, recipe_hash)
    try:
        values = _typed_values(recipe, step_id, meaning, entered or {})
    except InvalidValues:
        await _refuse_by_rules_first(context, actor, batch_id, recipe, step_id, meaning)
        raise
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
    corrects = (
        StepRecord.make_id(batch_id, step_id, 1, Meaning.PERFORMED)
        if meaning is Meaning.CORRECTED
        else None
    )
    seq, head = _CHAIN_HEADS.get(batch_id) or _stored_head(context.reads, batch_id)
    for attempt in range(SIGNING_ATTEMPTS):
        payload = RecordPayload(
            batch_id=batch_id,
            recipe_hash=recipe_hash,
            seq=seq + 1,
            prev_hash=head,
            step_id=step_id,
            execution=1,
            meaning=meaning,
            values=values,
            comment=comment,
            reason=reason,
            corrects=corrects,
            signer=Signer(user_id=actor.user_id, full_name=actor.full_name),
            station=actor.station,
            signed_at=now,
        )
        canonical, signed = sign_payload(key.key, payload.signable())
        action = SignedAction(
            actor=actor,
            payload=payload,
            key_id=key.key_id,
            signature=b64encode(signed.value).decode("ascii"),
            entered=entered or {},
        )
        try:
            recorded = await batch_commands.sign(
                client=context.temporal, engine=context.reads, batch_id=batch_id, action=action
            )
        except ApiError as exc:
            if exc.code != "chain_moved" or attempt == SIGNING_ATTEMPTS - 1:
                raise
            # The workflow says where its chain stands: sign again on that head (after a moment:
            # a record still being stored has taken its number but not yet given its hash).
            seq, head = exc.details["seq"] - 1, exc.details["prev_hash"]
            await asyncio.sleep(0.02 * (attempt + 1))
            continue
        _CHAIN_HEADS.put(batch_id, (payload.seq, hashlib.sha256(canonical).hexdigest()))
        view = signed_view(
            payload, canonical=canonical, signature=action.signature, key_id=key.key_id
        )
        return SignedStep(recorded=recorded, view=view)
    raise AssertionError("unreachable")


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


class _Recent(Generic[V]):
    """A small least-recently-used map (the API serves one event loop: no lock is needed)."""

    def __init__(self, size: int) -> None:
        self._items: OrderedDict[str, V] = OrderedDict()
        self._size = size

    def get(self, key: str) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: str, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)


# Where each batch's chain stood after this process's last signature on it. Only a hint: the
# workflow checks the head of every signed record, and a stale hint costs one refused update,
# whose refusal carries the true head.
_CHAIN_HEADS: _Recent[tuple[int, str]] = _Recent(4096)
# A batch's recipe version never changes.
_RECIPE_HASHES: _Recent[str] = _Recent(4096)


def _stored_head(engine: Engine, batch_id: str) -> tuple[int, str]:
    with session_scope(engine) as session:
        seq, head = latest_record_hash(session=session, batch_id=batch_id)
    return seq, head or GENESIS


def _recipe_hash(engine: Engine, batch_id: str) -> str:
    known = _RECIPE_HASHES.get(batch_id)
    if known is not None:
        return known
    with session_scope(engine) as session:
        batch = get_batch(session=session, batch_id=batch_id)
    if batch is None:
        raise ApiError(
            404, "batch_not_found", f"there is no batch {batch_id}", {"batch_id": batch_id}
        )
    _RECIPE_HASHES.put(batch_id, batch.recipe_hash)
    return batch.recipe_hash


@lru_cache(maxsize=64)
def _cached_recipe(engine: Engine, recipe_hash: str) -> Recipe:
    with session_scope(engine) as session:
        row = get_recipe_by_hash(session=session, content_hash=recipe_hash)
        if row is None:
            raise ApiError(500, "recipe_missing", f"no recipe has the hash {recipe_hash}")
        return recipe_of(row)


def _recipe(engine: Engine, recipe_hash: str) -> Recipe:
    """Recipes are immutable by their hash, so one read per process is enough."""
    return _cached_recipe(engine, recipe_hash)


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
