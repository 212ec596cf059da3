"""A master recipe version under change control (21 CFR 211.186, EU GMP Annex 11 §10).

A version is written by an author as a **draft**, submitted for review (the author's signature,
``authored``, over its content hash: ``in_review``), **reviewed** by a supervisor or QA (or sent
back to draft with comments, a signed ``rejected``), and **approved** by QA with the date and time
from which it is effective (``approved``). From that moment it is **effective**: only an effective
version starts batches. It is **superseded** when a later version of the same code becomes
effective, or **retired** by QA with a reason (``retired``). Author, reviewer and approver are
three different people, and a system administrator takes no part (segregation of duties).

Everything a version's state says comes from its signatures and the clock: ``RecipeVersion`` is
rebuilt from them, ``state_at`` tells the state at a moment. ``ebr.domain.recipe_change_control``
says who may sign what, when; the signature itself (a record of the ``recipe-version`` subject,
whose id is ``<code>/<version>``) is what makes it happen.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from ebr.domain.meanings import Meaning
from ebr.domain.subjects import Chain, ChainKind, Subject, SubjectKind

__all__ = [
    "RecipeSignature",
    "RecipeState",
    "RecipeVersion",
    "recipe_chain",
    "recipe_subject",
    "version_id",
    "effective_at",
    "with_supersession",
]


class RecipeState(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    EFFECTIVE = "effective"
    SUPERSEDED = "superseded"
    RETIRED = "retired"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def starts_batches(self) -> bool:
        return self is RecipeState.EFFECTIVE


def version_id(code: str, version: int) -> str:
    """A recipe version's subject and chain id: ``<code>/<version>``."""
    return f"{code}/{version}"


def recipe_subject(code: str, version: int) -> Subject:
    return Subject(kind=SubjectKind.RECIPE_VERSION, id=version_id(code, version))


def recipe_chain(code: str, version: int) -> Chain:
    return Chain(kind=ChainKind.RECIPE_VERSION, id=version_id(code, version))


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RecipeSignature(_Frozen):
    """One signature in a version's life: its meaning, who, when, why."""

    meaning: Meaning
    user_id: str
    full_name: str
    at: datetime
    content_hash: str
    reason: str | None = None


class RecipeVersion(_Frozen):
    """One version's life. ``content_hash`` is the current draft's while it is a draft, and the
    hash its author signed from submission on; ``signatures`` in the order they were made."""

    code: str
    version: int
    content_hash: str
    author: str
    signatures: tuple[RecipeSignature, ...] = ()
    effective_from: datetime | None = None
    superseded_at: datetime | None = None

    @property
    def submitted(self) -> RecipeSignature | None:
        return self._latest(Meaning.AUTHORED)

    @property
    def reviewed(self) -> RecipeSignature | None:
        """The review of the current submission, if it was reviewed."""
        return self._since_submission(Meaning.REVIEWED)

    @property
    def approved(self) -> RecipeSignature | None:
        return self._since_submission(Meaning.APPROVED)

    @property
    def retired(self) -> RecipeSignature | None:
        return self._latest(Meaning.RETIRED)

    def stored_state(self) -> RecipeState:
        """The state the signatures make, before the clock is asked (approved, not effective)."""
        if self.retired is not None:
            return RecipeState.RETIRED
        last = self.signatures[-1].meaning if self.signatures else None
        if last in (None, Meaning.REJECTED):
            return RecipeState.DRAFT
        if self.approved is not None:
            return RecipeState.APPROVED
        return RecipeState.IN_REVIEW

    def state_at(self, moment: datetime) -> RecipeState:
        state = self.stored_state()
        if state is not RecipeState.APPROVED:
            return state
        if self.superseded_at is not None and self.superseded_at <= moment:
            return RecipeState.SUPERSEDED
        if self.effective_from is not None and self.effective_from <= moment:
            return RecipeState.EFFECTIVE
        return RecipeState.APPROVED

    def as_of(self, moment: datetime) -> RecipeVersion:
        """The version as it stood at ``moment``: only the signatures made by then (the
        supersession is the caller's to recompute, ``effective_at``)."""
        kept = tuple(s for s in self.signatures if s.at <= moment)
        version = self.model_copy(update={"signatures": (), "effective_from": None})
        for signature in kept:
            effective = self.effective_from if signature.meaning is Meaning.APPROVED else None
            version = version.with_signature(signature, effective_from=effective)
        return version

    def with_signature(
        self, signature: RecipeSignature, *, effective_from: datetime | None = None
    ) -> RecipeVersion:
        update: dict[str, object] = {"signatures": (*self.signatures, signature)}
        if signature.meaning is Meaning.APPROVED:
            update["effective_from"] = effective_from or signature.at
        return self.model_copy(update=update)

    def _latest(self, meaning: Meaning) -> RecipeSignature | None:
        return next((s for s in reversed(self.signatures) if s.meaning is meaning), None)

    def _since_submission(self, meaning: Meaning) -> RecipeSignature | None:
        for signature in reversed(self.signatures):
            if signature.meaning is meaning:
                return signature
            if signature.meaning in (Meaning.AUTHORED, Meaning.REJECTED):
                return None
        return None


def with_supersession(versions: list[RecipeVersion]) -> list[RecipeVersion]:
    """The versions of one recipe code, each with ``superseded_at``: the moment a later version
    became (or becomes) effective, unless that later version was retired before it did."""
    superseded: list[RecipeVersion] = []
    for version in versions:
        later = [
            other.effective_from
            for other in versions
            if other.version > version.version
            and other.approved is not None
            and other.effective_from is not None
            and (other.retired is None or other.retired.at > other.effective_from)
        ]
        superseded.append(version.model_copy(update={"superseded_at": min(later, default=None)}))
    return superseded


def effective_at(versions: list[RecipeVersion], moment: datetime) -> RecipeVersion | None:
    """The version of one recipe code that was effective at ``moment``, judged only by the
    signatures made by then (a later retirement or approval does not change the past), or None."""
    then = with_supersession([version.as_of(moment) for version in versions])
    effective = [v for v in then if v.state_at(moment) is RecipeState.EFFECTIVE]
    return effective[-1] if effective else None
