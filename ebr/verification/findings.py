"""What verification finds: the first inconsistency (an exception naming where), or a summary."""

from __future__ import annotations

from dataclasses import dataclass, field

from ebr.domain.subjects import ChainKind
from signatures.checkpoints import Checkpoint

__all__ = ["ChainTally", "Inconsistency", "SetupProblem", "Summary"]


class Inconsistency(Exception):
    """The evidence contradicts itself: ``table`` and ``entry`` name where, ``problem`` what.

    ``entry`` is what an auditor looks up: a record id, ``idx 12``, ``key <key id>``,
    ``size 40`` for a checkpoint, ``batch B-1 seq 3`` for a place in a chain.
    """

    def __init__(self, *, table: str, entry: str, problem: str) -> None:
        super().__init__(f"{table} · {entry}: {problem}")
        self.table = table
        self.entry = entry
        self.problem = problem


class SetupProblem(Exception):
    """Verification could not start (a missing file, an unreachable or unmigrated store)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class ChainTally:
    """How many chains of one kind were checked, and how many records they hold."""

    chains: int = 0
    records: int = 0


@dataclass
class Summary:
    """What a successful verification of the whole store covered."""

    users: int = 0
    accounts: int = 0  # user rows proven by their account's signed events and lockouts
    keys: int = 0
    records: int = 0
    chains: dict[ChainKind, ChainTally] = field(default_factory=dict)
    redlines: int = 0  # approved redlines applied to their batch's master, in chain order
    audit_entries: int = 0
    recipe_revisions: int = 0
    batches: int = 0
    checkpoints: int = 0
    latest: Checkpoint | None = None
    since_size: int | None = None
    witnessed: int = 0
    witnessed_size: int | None = None  # the newest witnessed checkpoint's
    seconds: float = 0.0

    @property
    def records_per_second(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0
