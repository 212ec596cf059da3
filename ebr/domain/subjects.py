"""What a signed record is about (its subject) and which hash chain it joins.

Every signed record names a typed subject: a step of a batch, the batch itself, one of its
deviations, holds or redlines, or, outside any batch, a recipe version, a lot, an equipment unit or a
user account. Each subject kind belongs to one kind of chain: everything about a batch (its steps,
decisions, deviations' dispositions, holds' lifts, redlines) is one chain per batch; a recipe version, a lot,
an equipment unit and an account each keep a chain of their own. The table ``KINDS`` says it once;
every layer reads it rather than spelling the rule again, so a new kind of subject is a new row.

Subjects are parsed once, here, from their typed JSON form ``{"kind": ..., "id": ...}``; nothing
in ebr tells a subject apart by a prefix of a string.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "KINDS",
    "Chain",
    "ChainKind",
    "Subject",
    "SubjectKind",
    "batch_chain",
    "batch_subject",
    "deviation_subject",
    "hold_subject",
    "redline_subject",
    "step_subject",
]

ID_PATTERN = r"^[^\s/][^\x00-\x1f]{0,199}$"
"""An id of a subject or chain: 1 to 200 characters, printable, not starting with space or '/'."""


class ChainKind(StrEnum):
    """The kinds of hash chain a signed record can join; the chain's id names its owner."""

    BATCH = "batch"
    RECIPE_VERSION = "recipe-version"
    LOT = "lot"
    EQUIPMENT = "equipment"
    ACCOUNT = "account"


class SubjectKind(StrEnum):
    """What a signed record is about."""

    BATCH_STEP = "batch-step"
    BATCH = "batch"
    DEVIATION = "deviation"
    HOLD = "hold"
    REDLINE = "redline"
    RECIPE_VERSION = "recipe-version"
    LOT = "lot"
    EQUIPMENT = "equipment"
    ACCOUNT = "account"

    @property
    def chain_kind(self) -> ChainKind:
        return KINDS[self].chain

    @property
    def label(self) -> str:
        """The subject kind in words, for pages and reports."""
        return KINDS[self].label

    @property
    def is_decision(self) -> bool:
        """A decision on a subject (release, disposition, lift...), not a step record."""
        return KINDS[self].decision


@dataclass(frozen=True)
class KindRules:
    """One row of ``KINDS``: the chain a subject kind joins, its words, whether it is a decision."""

    chain: ChainKind
    label: str
    decision: bool


KINDS: dict[SubjectKind, KindRules] = {
    SubjectKind.BATCH_STEP: KindRules(ChainKind.BATCH, "step", decision=False),
    SubjectKind.BATCH: KindRules(ChainKind.BATCH, "batch", decision=True),
    SubjectKind.DEVIATION: KindRules(ChainKind.BATCH, "deviation", decision=True),
    SubjectKind.HOLD: KindRules(ChainKind.BATCH, "hold", decision=True),
    SubjectKind.REDLINE: KindRules(ChainKind.BATCH, "redline", decision=True),
    SubjectKind.RECIPE_VERSION: KindRules(ChainKind.RECIPE_VERSION, "recipe version", True),
    SubjectKind.LOT: KindRules(ChainKind.LOT, "lot", decision=True),
    SubjectKind.EQUIPMENT: KindRules(ChainKind.EQUIPMENT, "equipment unit", decision=True),
    SubjectKind.ACCOUNT: KindRules(ChainKind.ACCOUNT, "account", decision=True),
}
"""Every subject kind's rules, in one place (a test checks each kind has its row)."""


class Chain(BaseModel):
    """One hash chain: a batch's, a recipe version's, a lot's, a unit's or an account's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ChainKind
    id: str = Field(pattern=ID_PATTERN)

    def __str__(self) -> str:
        return f"{self.kind.value} {self.id}"


class Subject(BaseModel):
    """What one signed record is about: a kind and the id of the thing of that kind.

    A batch step's id is its recipe step id; a batch's, deviation's, hold's, redline's, lot's,
    unit's and account's id is theirs; a recipe version's is ``<code>/<version>``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: SubjectKind
    id: str = Field(pattern=ID_PATTERN)

    def __str__(self) -> str:
        return f"{self.kind.label} {self.id}"


def batch_chain(batch_id: str) -> Chain:
    return Chain(kind=ChainKind.BATCH, id=batch_id)


def step_subject(step_id: str) -> Subject:
    return Subject(kind=SubjectKind.BATCH_STEP, id=step_id)


def batch_subject(batch_id: str) -> Subject:
    """The subject of a batch's release or rejection."""
    return Subject(kind=SubjectKind.BATCH, id=batch_id)


def deviation_subject(deviation_id: str) -> Subject:
    """The subject of a deviation's signed disposition."""
    return Subject(kind=SubjectKind.DEVIATION, id=deviation_id)


def hold_subject(hold_id: str) -> Subject:
    """The subject of QA's signed lifting of a hold."""
    return Subject(kind=SubjectKind.HOLD, id=hold_id)


def redline_subject(redline_id: str) -> Subject:
    """The subject of a redline's signed proposal, approval or rejection (``<batch>-RL<n>``)."""
    return Subject(kind=SubjectKind.REDLINE, id=redline_id)
