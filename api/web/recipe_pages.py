"""What a recipe version's page and its draft's editor show, read from the store (never written
here): the content its signatures name, its state now, its signature history, the difference from
the version effective now, and which of its signed forms the person looking may use.

Which forms are offered is asked of the same rules the recipe's workflow applies
(``ebr.domain.recipe_change_control``), so a page never offers what would be refused; the
workflow still decides whatever is posted.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import yaml
from sqlalchemy import Engine
from sqlmodel import Session

from api.recipe_schemas import RecipeSummary
from api.recipes import summary
from api.web.recipe_dry_runs import DryRunShown
from api.web.recipe_problems import Problem
from api.web.recipe_views import content_of
from api.web.views import FormState
from ebr.domain import recipe_change_control as control
from ebr.domain.batch import Actor
from ebr.domain.meanings import Meaning
from ebr.domain.recipe import Recipe
from ebr.domain.recipe_diff import RecipeDiff, diff_recipes
from ebr.domain.recipe_versions import RecipeState, RecipeVersion, recipe_chain
from ebr.domain.refusals import RecipeNotFound, Refusal
from ebr.store.db import session_scope
from ebr.store.recipe_versions import recipe_versions
from ebr.store.recipes import recipe_of
from ebr.store.signed_records import list_chain, record_of

__all__ = [
    "Draft",
    "EditorPage",
    "Signed",
    "VersionPage",
    "as_text",
    "draft_page",
    "new_source",
    "offered",
    "version_page",
    "writes_drafts",
]

# The signed forms of a version's page, each with the rule that says whether it may be used now.
_FORMS: dict[str, Callable[[RecipeVersion, Actor, datetime], None]] = {
    "review": lambda v, a, now: control.check_review(v, actor=a),
    "return": lambda v, a, now: control.check_return(v, actor=a, reason="comments"),
    "approve": lambda v, a, now: control.check_approve(v, actor=a, effective_from=now, now=now),
    "retire": lambda v, a, now: control.check_retire(v, actor=a, reason="reason", now=now),
}
_VERSION_LINE = re.compile(r"^version:[ \t]*[^\n#]*", re.MULTILINE)


@dataclass(frozen=True)
class Signed:
    """One signature of a version's life as its record holds it: its meaning, who, when, from
    which station, why, and what it bound (the content hash, an approval's effective date)."""

    meaning: Meaning
    user_id: str
    full_name: str
    at: datetime
    station: str
    record_hash: str
    content_hash: str
    reason: str | None = None
    comment: str | None = None
    effective_from: datetime | None = None


@dataclass(frozen=True)
class VersionPage:
    """A recipe version as its page shows it (``dry_run`` is added by the route, on demand)."""

    summary: RecipeSummary
    version: RecipeVersion
    recipe: Recipe
    source: str
    history: list[Signed]
    numbers: list[int]
    effective: int | None
    diff: RecipeDiff | None
    forms: tuple[str, ...]
    may_edit: bool
    may_write: bool
    dry_run: DryRunShown | None = None

    @property
    def state(self) -> RecipeState:
        return self.summary.state

    @property
    def returned(self) -> Signed | None:
        """The comments of the last return to draft, while the version is a draft again."""
        if self.state is not RecipeState.DRAFT or not self.history:
            return None
        last = self.history[-1]
        return last if last.meaning is Meaning.REJECTED else None


@dataclass(frozen=True)
class Draft:
    """A stored draft being edited: its version page's facts, and whether the person editing
    may sign it for review (its author)."""

    page: VersionPage
    may_submit: bool


@dataclass(frozen=True)
class EditorPage:
    """The editor: the text as entered (or as saved), its problems, its dry run, a refusal of
    what was ``asked`` (``save`` or ``dry_run``), a refused submission (``state``)."""

    source: str
    draft: Draft | None = None
    problems: list[Problem] = field(default_factory=list)
    refused: str = ""
    asked: str = ""
    status: int = 200
    dry_run: DryRunShown | None = None
    state: FormState | None = None


def as_text(value: Any) -> str:
    """A recipe field's value (JSON: text, number, list, mapping) in YAML, the language the
    author writes it in, for the difference between two versions side by side; ``—`` where it
    is absent."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if not isinstance(value, dict | list):
        return str(value)
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, width=72).strip()


def writes_drafts(actor: Actor) -> bool:
    """Whether ``actor`` may write a new draft (an author, never an administrator)."""
    try:
        control.check_edit(None, actor=actor, code="", number=0)
    except Refusal:
        return False
    return True


def offered(version: RecipeVersion, actor: Actor, now: datetime) -> tuple[str, ...]:
    """The signed forms ``actor`` may use on ``version`` now, as the workflow's rules say."""
    return tuple(name for name, check in _FORMS.items() if _allowed(check, version, actor, now))


def version_page(*, engine: Engine, code: str, number: int, actor: Actor) -> VersionPage:
    """The version as stored now; ``recipe_not_found`` when there is no such version."""
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        versions = {v.version: v for v in recipe_versions(session=session, code=code)}
        version = versions.get(number)
        row = content_of(session, version)
        if version is None or row is None:
            raise RecipeNotFound(
                f"there is no recipe {code} v{number}",
                {"recipe_code": code, "recipe_version": number},
            )
        history = _history(session, code, number)
        effective = next(
            (v for v in versions.values() if v.state_at(now) is RecipeState.EFFECTIVE), None
        )
        baseline = content_of(session, effective) if effective is not None else None
        recipe = recipe_of(row)
        diff = None
        if effective is not None and baseline is not None and effective.version != number:
            diff = diff_recipes(recipe_of(baseline), recipe)
    state = version.state_at(now)
    may_edit = state is RecipeState.DRAFT and _allowed(_edit, version, actor, now)
    return VersionPage(
        summary=summary(row, version, now=now),
        version=version,
        recipe=recipe,
        source=row.source,
        history=history,
        numbers=sorted(versions),
        effective=effective.version if effective is not None else None,
        diff=diff,
        forms=offered(version, actor, now),
        may_edit=may_edit,
        may_write=writes_drafts(actor),
    )


def draft_page(*, engine: Engine, code: str, number: int, actor: Actor) -> Draft:
    """The draft ``code`` v``number`` for its editor; refused, saying why, to anyone but an
    author and for a version past its draft."""
    page = version_page(engine=engine, code=code, number=number, actor=actor)
    control.check_edit(page.version, actor=actor, code=code, number=number)
    return Draft(page=page, may_submit=_allowed(_submit, page.version, actor, datetime.now(UTC)))


def new_source(*, engine: Engine, actor: Actor, start: str) -> str:
    """The text a new draft starts from: empty, or (``start``: ``CODE/N``) version N's content
    as the next version of its code. Refused to anyone but an author."""
    control.check_edit(None, actor=actor, code="", number=0)
    code, _, number = start.partition("/")
    if not code or not number.isdigit() or len(number) > 9:
        return ""
    with session_scope(engine) as session:
        versions = {v.version: v for v in recipe_versions(session=session, code=code)}
        row = content_of(session, versions.get(int(number)))
    if row is None:
        return ""
    return _VERSION_LINE.sub(f"version: {max(versions) + 1}", row.source, count=1)


def _history(session: Session, code: str, number: int) -> list[Signed]:
    shown = []
    for row in list_chain(session=session, chain=recipe_chain(code, number)):
        record = record_of(row)
        effective = (record.detail or {}).get("effective_from")
        shown.append(
            Signed(
                meaning=record.meaning,
                user_id=record.user_id,
                full_name=record.user_name,
                at=record.recorded_at,
                station=record.station,
                record_hash=row.record_hash,
                content_hash=record.recipe_hash or "",
                reason=record.reason,
                comment=record.comment,
                effective_from=datetime.fromisoformat(effective)
                if isinstance(effective, str)
                else None,
            )
        )
    return shown


def _edit(version: RecipeVersion, actor: Actor, now: datetime) -> None:
    control.check_edit(version, actor=actor, code=version.code, number=version.version)


def _submit(version: RecipeVersion, actor: Actor, now: datetime) -> None:
    control.check_submit(version, actor=actor)


def _allowed(
    check: Callable[[RecipeVersion, Actor, datetime], None],
    version: RecipeVersion,
    actor: Actor,
    now: datetime,
) -> bool:
    try:
        check(version, actor, now)
    except Refusal:
        return False
    return True
