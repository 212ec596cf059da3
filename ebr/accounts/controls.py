"""The account rules in force (lockout, throttling, password rules and history, sessions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from ebr.settings import Settings


@dataclass(frozen=True)
class Controls:
    """The account rules in force, from the settings.

    ``lockout`` is how long a lockout lasts; None means until an administrator unlocks it.
    ``throttle`` is the first delay after a failed sign-in (zero: no delays), doubled with each
    further failure up to ``throttle_max``; a network address has ``source_free_failures``
    before its own delays begin, and its failures are forgotten after ``source_memory``.
    """

    max_failures: int
    password_max_age: timedelta
    password_min_length: int
    signing_session: timedelta
    idle: timedelta = timedelta(minutes=15)
    lockout: timedelta | None = timedelta(minutes=30)
    throttle: timedelta = timedelta(seconds=1)
    throttle_max: timedelta = timedelta(minutes=5)
    source_free_failures: int = 10
    source_memory: timedelta = timedelta(minutes=30)
    password_history: int = 5

    @classmethod
    def of(cls, settings: Settings) -> Controls:
        return cls(
            max_failures=settings.max_failed_attempts,
            password_max_age=timedelta(days=settings.password_max_age_days),
            password_min_length=settings.password_min_length,
            signing_session=timedelta(minutes=settings.signing_session_minutes),
            idle=timedelta(minutes=settings.idle_minutes),
            lockout=(
                timedelta(minutes=settings.lockout_minutes) if settings.lockout_minutes else None
            ),
            throttle=timedelta(seconds=settings.throttle_seconds),
            throttle_max=timedelta(seconds=settings.throttle_max_seconds),
            source_free_failures=settings.source_free_failures,
            source_memory=timedelta(minutes=settings.source_memory_minutes),
            password_history=settings.password_history,
        )

    @property
    def touch_every(self) -> timedelta:
        """How stale a session's last-seen time may be before a request writes it again: a
        tenth of the idle lapse, at most a minute, so a busy session costs one write a minute
        and lapses at most a tenth early."""
        return min(timedelta(minutes=1), self.idle / 10)
