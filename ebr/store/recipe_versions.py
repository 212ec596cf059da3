"""Recipe versions as their revisions and signatures make them: nothing is stored but evidence.

A version's author is whoever saved its first revision; its content is its latest revision; its
state, effective date and supersession come from its chain of signatures (``recipe-version``,
``<code>/<version>``) and the clock (``ebr.domain.recipe_versions``). No row holds a state that
could be edited apart from the evidence it rests on.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from ebr.domain.recipe_versions import (
    RecipeSignature,
    RecipeState,
    RecipeVersion,
    recipe_chain,
    with_supersession,
)
from ebr.store.recipes import RecipeRow
from ebr.store.signed_records import list_chain, record_of

__all__ = ["recipe_version", "recipe_versions"]


def recipe_versions(*, session: Session, code: str) -> list[RecipeVersion]:
    """Every version of ``code`` that has a saved content, in version order, superseded ones
    marked."""
    query = (
        select(RecipeRow)
        .where(RecipeRow.code == code)
        .order_by(col(RecipeRow.version), col(RecipeRow.revision))
    )
    revisions: dict[int, list[RecipeRow]] = {}
    for row in session.exec(query):
        revisions.setdefault(row.version, []).append(row)
    versions = [_version(session, code, number, rows) for number, rows in revisions.items()]
    return with_supersession(versions)


def recipe_version(*, session: Session, code: str, version: int) -> RecipeVersion | None:
    """One version of ``code``, or None when nothing was ever saved for it."""
    found = [v for v in recipe_versions(session=session, code=code) if v.version == version]
    return found[0] if found else None


def _version(session: Session, code: str, number: int, rows: list[RecipeRow]) -> RecipeVersion:
    version = RecipeVersion(
        code=code, version=number, content_hash=rows[-1].content_hash, author=rows[0].loaded_by
    )
    for row in list_chain(session=session, chain=recipe_chain(code, number)):
        record = record_of(row)
        signature = RecipeSignature(
            meaning=record.meaning,
            user_id=record.user_id,
            full_name=record.user_name,
            at=record.recorded_at,
            content_hash=record.recipe_hash or "",
            reason=record.reason,
        )
        version = version.with_signature(signature, effective_from=_effective_from(record.detail))
    submitted = version.submitted
    if submitted is not None and version.stored_state() is not RecipeState.DRAFT:
        # What is reviewed, approved, effective is what its author signed, not a later save.
        version = version.model_copy(update={"content_hash": submitted.content_hash})
    return version


def _effective_from(detail: dict[str, object] | None) -> datetime | None:
    value = (detail or {}).get("effective_from")
    return datetime.fromisoformat(value) if isinstance(value, str) else None
