"""Holds: a batch paused by a person or by a deviation, with who, when, why and for how long.

A batch may carry several holds at once (a supervisor's, and one per deviation that holds it); it
is ``on_hold`` while any of them is active. A person's hold is placed by a supervisor or QA with a
reason and lifted only by QA, with a reason (and a signature, which the workflow asks for). A hold
placed for a deviation is lifted by that deviation's disposition (or by its classification as
minor), never by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

from ebr.domain.batch import Actor, BatchStatus
from ebr.domain.refusals import (
    BatchOnHold,
    DeviationStateError,
    HoldNotActive,
    ReasonRequired,
    RoleNotAllowed,
    UnknownHold,
)
from ebr.domain.roles import Role
from ebr.domain.status import BatchEvent, check_transition

__all__ = [
    "BY_THE_RULES",
    "PLACING_ROLES",
    "Hold",
    "active_hold",
    "apply_lift",
    "apply_place",
    "check_lift",
    "check_not_on_hold",
    "check_place",
    "find_hold",
    "hold_for_deviation",
    "lift_for_deviation",
]

PLACING_ROLES: frozenset[Role] = frozenset({Role.SUPERVISOR, Role.QA})

BY_THE_RULES = "ebr"
"""``placed_by`` of a hold the rules placed (for a deviation): no person decided it."""


class Hold(BaseModel):
    """One hold of one batch; ``deviation_id`` is set when a deviation placed it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    hold_id: str
    batch_id: str
    placed_at: datetime
    placed_by: str
    reason: str
    deviation_id: str | None = None
    lifted_at: datetime | None = None
    lifted_by: str | None = None
    lift_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.lifted_at is None

    def duration(self, now: datetime) -> timedelta:
        """How long the batch was held: until the lift, or until ``now`` if still active."""
        return (self.lifted_at or now) - self.placed_at


def check_place(status: BatchStatus, *, actor: Actor, reason: str | None) -> None:
    """A supervisor or QA may hold an active batch at any time, with a reason."""
    if not PLACING_ROLES & set(actor.roles):
        raise RoleNotAllowed(
            "only a supervisor or QA may put a batch on hold",
            {"allowed_roles": sorted(r.value for r in PLACING_ROLES)},
        )
    if not (reason or "").strip():
        raise ReasonRequired("a hold needs a reason", {"field": "reason"})
    check_transition(status, BatchEvent.HOLD)


def apply_place(*, hold_id: str, batch_id: str, actor: Actor, reason: str, at: datetime) -> Hold:
    return Hold(
        hold_id=hold_id, batch_id=batch_id, placed_at=at, placed_by=actor.user_id, reason=reason
    )


def check_lift(hold: Hold, *, actor: Actor, reason: str | None) -> None:
    """Only QA lifts a person's hold, with a reason; a deviation's hold ends with the deviation."""
    if Role.QA not in actor.roles:
        raise RoleNotAllowed(
            "only QA may lift a hold", {"hold_id": hold.hold_id, "allowed_roles": ["qa"]}
        )
    if not hold.active:
        raise HoldNotActive(
            f"hold {hold.hold_id} was already lifted by {hold.lifted_by}",
            {"hold_id": hold.hold_id, "lifted_by": hold.lifted_by},
        )
    if hold.deviation_id is not None:
        raise DeviationStateError(
            f"hold {hold.hold_id} is lifted by the disposition of deviation {hold.deviation_id}",
            {"hold_id": hold.hold_id, "deviation_id": hold.deviation_id},
        )
    if not (reason or "").strip():
        raise ReasonRequired("lifting a hold needs a reason", {"field": "reason"})


def apply_lift(hold: Hold, *, actor: Actor, reason: str, at: datetime) -> Hold:
    return hold.model_copy(
        update={"lifted_at": at, "lifted_by": actor.user_id, "lift_reason": reason}
    )


def hold_for_deviation(
    *, hold_id: str, batch_id: str, deviation_id: str, description: str, at: datetime
) -> Hold:
    """The hold a deviation places when ``deviations.holds_batch`` becomes true for it."""
    return Hold(
        hold_id=hold_id,
        batch_id=batch_id,
        placed_at=at,
        placed_by=BY_THE_RULES,
        reason=f"deviation {deviation_id}: {description}",
        deviation_id=deviation_id,
    )


def lift_for_deviation(hold: Hold, *, by: str, reason: str, at: datetime) -> Hold:
    """End a deviation's hold when the deviation stops holding the batch; ``by`` is who decided."""
    return hold.model_copy(update={"lifted_at": at, "lifted_by": by, "lift_reason": reason})


def active_hold(holds: Iterable[Hold]) -> Hold | None:
    """The earliest hold still active, or None: the one a refused completion reports."""
    active = [h for h in holds if h.active]
    return min(active, key=lambda h: (h.placed_at, h.hold_id)) if active else None


def check_not_on_hold(hold: Hold | None) -> None:
    """Raise BatchOnHold naming the hold and its reason when ``hold`` is active."""
    if hold is not None and hold.active:
        raise BatchOnHold(
            f"the batch is on hold: {hold.reason}",
            {
                "hold_id": hold.hold_id,
                "reason": hold.reason,
                "placed_by": hold.placed_by,
                "placed_at": hold.placed_at.isoformat(),
                "deviation_id": hold.deviation_id,
            },
        )


def find_hold(holds: Sequence[Hold], hold_id: str) -> Hold:
    found = next((h for h in holds if h.hold_id == hold_id), None)
    if found is None:
        raise UnknownHold(f"the batch has no hold {hold_id!r}", {"hold_id": hold_id})
    return found
