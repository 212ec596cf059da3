"""Throttling failed sign-ins without handing anyone a denial of service (21 CFR 11.300(d)).

Why: a lockout that only an administrator lifts lets anyone who can reach the sign-in form lock
every QA and the last administrator out with five wrong passwords each. So:

- each failure makes the next password attempt wait (``delay``: the first ``throttle``, doubled
  with each further failure): while it runs, sign-in is refused with ``sign_in_throttled`` (429
  and ``Retry-After``) before any password is tried, so guessing is slow and the server never
  sleeps on an attacker's behalf;
- the same holds per network address, after ``source_free_failures`` (one address spraying many
  accounts);
- the ``max_failures``-th failure locks the account for ``lockout`` (None: until an
  administrator unlocks it); the lock lifts itself when that time is over, so the real user signs
  in again after the cooling period, and every lockout raises an alert (``ebr.accounts.alerts``).

``admit`` runs before the password is tried and reserves the next attempt's delay, in one
transaction holding the account's (and the address's) row: of many attempts made at once, one
is tried and the rest are throttled, so a burst cannot test more passwords than the lockout
allows. Attempts refused here try no password and count nothing; they are not audited one by one
(an attacker could otherwise flood the audit trail), while every failure that set a delay is.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from ebr.accounts.controls import Controls
from ebr.accounts.errors import AccountLocked, SignInThrottled
from ebr.audit import SYSTEM, audit
from ebr.store import accounts as store_accounts
from ebr.store import throttle as store_throttle
from ebr.store.db import session_scope
from ebr.store.throttle import ThrottleSourceRow
from ebr.store.users import UserRow

__all__ = ["admit", "delay", "is_locked", "locked_refusal", "note_failure"]

# 2**20 times the first delay is far beyond any sensible cap; this keeps timedelta from overflowing.
_MAX_DOUBLINGS = 20


def delay(failures: int, *, controls: Controls, free: int = 0) -> timedelta:
    """How long the next attempt waits after ``failures`` consecutive failures (the first
    ``free`` of them cost nothing): ``throttle * 2**(n-1)`` for the n-th costly one, at most
    ``throttle_max``."""
    costly = failures - free
    if costly < 1 or controls.throttle <= timedelta(0):
        return timedelta(0)
    grown: timedelta = controls.throttle * (1 << min(costly - 1, _MAX_DOUBLINGS))
    return min(grown, controls.throttle_max)


def is_locked(user: UserRow, *, now: datetime) -> bool:
    """Locked now: a lock without end, or one whose end is still ahead."""
    if user.locked_at is None:
        return False
    return user.locked_until is None or now < user.locked_until


def locked_refusal(user: UserRow, *, now: datetime) -> AccountLocked:
    """The refusal of a locked account, saying until when (and in how many seconds)."""
    if user.locked_until is None:
        return AccountLocked(
            "the account is locked after too many failed attempts; an administrator must unlock it",
            {"locked_until": None},
        )
    until = user.locked_until.strftime("%Y-%m-%d %H:%M UTC")
    return AccountLocked(
        f"the account is locked after too many failed attempts until {until}, or until an "
        "administrator unlocks it",
        {
            "locked_until": user.locked_until.isoformat(),
            "retry_after": _seconds(user.locked_until, now),
        },
    )


def admit(
    engine: Engine,
    *,
    user_id: str,
    source: str | None,
    station: str,
    now: datetime,
    controls: Controls,
) -> None:
    """Before a password is tried for ``user_id`` from ``source`` (a network address; None: no
    address to throttle): lift a lockout whose time is over (audited), refuse a locked account
    (``account_locked``) or a delay still running (``sign_in_throttled``), and reserve the delay
    this attempt would earn if it failed. An unknown user id is throttled by its address alone."""
    with session_scope(engine) as session:
        address = store_throttle.get_source(session=session, address=source) if source else None
        failures_from = _remembered(address, now=now, controls=controls)
        if address is not None:
            _refuse_while(address.throttled_until, now, "this address")
        if session.get(UserRow, user_id) is not None:
            user, lifted = store_accounts.lift_expired_lock(
                session=session, user_id=user_id, at=now
            )
            if lifted:
                _audit_lifted(session, user_id, station=station, now=now, controls=controls)
            if is_locked(user, now=now):
                raise locked_refusal(user, now=now)
            _refuse_while(user.throttled_until, now, "this account")
            wait = delay(user.failed_attempts + 1, controls=controls)
            if wait:
                store_accounts.set_throttle(session=session, user_id=user_id, until=now + wait)
        wait = delay(failures_from + 1, controls=controls, free=controls.source_free_failures)
        if source is not None and wait:
            store_throttle.reserve_source(session=session, address=source, until=now + wait)


def note_failure(
    session: Session, *, user: UserRow | None, source: str | None, now: datetime, controls: Controls
) -> None:
    """After a failed password: the account's and the address's next attempts wait (in the
    caller's transaction, after the failure was counted on ``user``)."""
    if user is not None:
        wait = delay(user.failed_attempts, controls=controls)
        until = now + wait if wait else None
        store_accounts.set_throttle(session=session, user_id=user.user_id, until=until)
    if source is not None:
        row = store_throttle.record_source_failure(
            session=session, address=source, at=now, forget_after=controls.source_memory
        )
        wait = delay(row.failures, controls=controls, free=controls.source_free_failures)
        if wait:
            store_throttle.reserve_source(session=session, address=source, until=now + wait)


def _remembered(row: ThrottleSourceRow | None, *, now: datetime, controls: Controls) -> int:
    """The address's failures that still count (none once its memory has lapsed)."""
    if row is None or row.last_failed_at is None:
        return 0
    return 0 if now - row.last_failed_at > controls.source_memory else row.failures


def _audit_lifted(
    session: Session, user_id: str, *, station: str, now: datetime, controls: Controls
) -> None:
    minutes = int(controls.lockout.total_seconds() // 60) if controls.lockout else 0
    audit(
        session,
        event_key=f"user/{user_id}/user_unlocked/{now.isoformat()}",
        at=now,
        actor=SYSTEM,
        station=station,
        action="user_unlocked",
        entity="user",
        entity_id=user_id,
        reason=f"the lockout's cooling period ({minutes} minutes) is over",
    )


def _refuse_while(until: datetime | None, now: datetime, whom: str) -> None:
    if until is not None and now < until:
        seconds = _seconds(until, now)
        raise SignInThrottled(
            f"too many failed sign-ins for {whom} just now: try again in {seconds} seconds",
            {"retry_after": seconds},
        )


def _seconds(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))
