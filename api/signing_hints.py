"""What the signing layer remembers between requests, and reads from the store to sign: where a
batch's chain stands, which execution a step is in, the recipe a batch runs. Every hint is checked by the
workflow, and a stale one costs one refused update whose refusal says what is true now."""

from __future__ import annotations

from collections import OrderedDict
from functools import lru_cache
from typing import Generic, TypeVar

from sqlalchemy import Engine, func
from sqlmodel import col, select

from api.batch_views import stored_batch
from api.refusals import RecipeMissing
from ebr.domain.meanings import Meaning
from ebr.domain.recipe import Recipe
from ebr.domain.redlines import effective
from ebr.domain.signed_records import GENESIS
from ebr.domain.subjects import Chain, SubjectKind
from ebr.store.db import session_scope
from ebr.store.recipes import get_recipe_by_hash, recipe_of
from ebr.store.redlines import batch_redlines
from ebr.store.signed_records import SignedRecordRow, chain_head

V = TypeVar("V")


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


# The execution of each step this process last signed for: a rework opens a step again as the
# next execution, which the workflow names when it refuses a stale one (``execution_moved``).
EXECUTIONS: _Recent[int] = _Recent(65536)
# Where each chain (by ``str(chain)``) stood after this process's last signature on it. Only a hint: the
# workflow checks the head of every signed record, and a stale hint costs one refused update,
# whose refusal carries the true head.
CHAIN_HEADS: _Recent[tuple[int, str]] = _Recent(4096)
# A batch's recipe version never changes.
RECIPE_HASHES: _Recent[str] = _Recent(4096)
# The recipe a batch runs, by its master's hash and the hashes of its approved redlines in order.
EFFECTIVE: _Recent[Recipe] = _Recent(256)


def stored_head(engine: Engine, chain: Chain) -> tuple[int, str]:
    with session_scope(engine) as session:
        seq, head = chain_head(session=session, chain=chain)
    return seq, head or GENESIS


def stored_execution(engine: Engine, batch_id: str, step_id: str) -> int:
    """The execution of the step's latest completion in the store: the one a correction corrects."""
    query = select(func.max(SignedRecordRow.execution)).where(
        SignedRecordRow.batch_id == batch_id,
        SignedRecordRow.subject_kind == SubjectKind.BATCH_STEP.value,
        SignedRecordRow.subject_id == step_id,
        SignedRecordRow.meaning == Meaning.PERFORMED.value,
    )
    with session_scope(engine) as session:
        latest = session.exec(query).one()
    return int(latest) if latest else 1


def stored_verification(engine: Engine, batch_id: str, step_id: str) -> tuple[int, str | None]:
    """What a verification of the step verifies, as the store shows it: the execution of its
    latest completion, and the latest correction of that execution (its record id), if any."""
    execution = stored_execution(engine, batch_id, step_id)
    query = (
        select(SignedRecordRow.record_id)
        .where(
            SignedRecordRow.batch_id == batch_id,
            SignedRecordRow.subject_kind == SubjectKind.BATCH_STEP.value,
            SignedRecordRow.subject_id == step_id,
            SignedRecordRow.execution == execution,
            SignedRecordRow.meaning == Meaning.CORRECTED.value,
        )
        .order_by(col(SignedRecordRow.seq).desc())
        .limit(1)
    )
    with session_scope(engine) as session:
        latest = session.exec(query).first()
    return execution, latest


def recipe_hash(engine: Engine, batch_id: str) -> str:
    known = RECIPE_HASHES.get(batch_id)
    if known is not None:
        return known
    with session_scope(engine) as session:
        batch = stored_batch(session=session, batch_id=batch_id)
    RECIPE_HASHES.put(batch_id, batch.recipe_hash)
    return batch.recipe_hash


@lru_cache(maxsize=64)
def cached_recipe(engine: Engine, recipe_hash: str) -> Recipe:
    with session_scope(engine) as session:
        row = get_recipe_by_hash(session=session, content_hash=recipe_hash)
        if row is None:
            raise RecipeMissing(f"no recipe has the hash {recipe_hash}")
        return recipe_of(row)


def recipe(engine: Engine, recipe_hash: str) -> Recipe:
    """Recipes are immutable by their hash, so one read per process is enough."""
    return cached_recipe(engine, recipe_hash)


def batch_recipe(engine: Engine, batch_id: str, recipe_hash: str) -> Recipe:
    """The recipe the batch runs: its recipe version (``recipe``) with the redlines QA approved,
    read from the store each time (one small query) and applied once per process. A redline
    approved after this read costs one refused update (the signed values are not the workflow's)."""
    master = recipe(engine, recipe_hash)
    with session_scope(engine) as session:
        approved = [r for r in batch_redlines(session=session, batch_id=batch_id) if r.approved]
    if not approved:
        return master
    approved.sort(key=lambda r: r.decided_seq or 0)
    key = ",".join([recipe_hash, *(r.content_hash for r in approved)])
    known = EFFECTIVE.get(key)
    if known is None:
        known = effective(master, approved)
        EFFECTIVE.put(key, known)
    return known
