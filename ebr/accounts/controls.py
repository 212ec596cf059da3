"""The account rules in force (lockout, password length and age, signing session)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from ebr.settings import Settings


@dataclass(frozen=True)
class Controls:
    """The account rules in force, from the settings."""

    max_failures: int
    password_max_age: timedelta
    password_min_length: int
    signing_session: timedelta

    @classmethod
    def of(cls, settings: Settings) -> Controls:
        return cls(
            max_failures=settings.max_failed_attempts,
            password_max_age=timedelta(days=settings.password_max_age_days),
            password_min_length=settings.password_min_length,
            signing_session=timedelta(minutes=settings.signing_session_minutes),
        )
