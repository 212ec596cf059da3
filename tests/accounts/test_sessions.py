"""Judging a request's session: live, stale (its last-seen time is written again at most once a
minute), idle too long, ended, or another person's."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ebr.accounts import Controls
from ebr.accounts.sessions import Verdict, judge
from ebr.store.sessions import SessionRow

T0 = datetime(2026, 3, 4, 8, 0, tzinfo=UTC)


def seen(minutes: float, *, ended: bool = False, user_id: str = "olga") -> SessionRow:
    """A session of ``user_id`` last seen ``minutes`` before T0."""
    at = T0 - timedelta(minutes=minutes)
    return SessionRow(
        session_id="s",
        user_id=user_id,
        station="t",
        created_at=at,
        last_seen_at=at,
        ended_at=at if ended else None,
        end_reason="signed out" if ended else None,
    )


@pytest.mark.parametrize(
    ("minutes", "verdict"),
    [(0, Verdict.LIVE), (0.9, Verdict.LIVE), (1, Verdict.STALE), (15, Verdict.STALE)],
)
def test_a_live_session_is_written_again_only_after_a_minute(
    controls: Controls, minutes: float, verdict: Verdict
) -> None:
    assert controls.idle == timedelta(minutes=15)
    assert judge(seen(minutes), user_id="olga", now=T0, controls=controls) is verdict


def test_a_session_quiet_longer_than_the_idle_lapse_is_idle(controls: Controls) -> None:
    assert judge(seen(15.01), user_id="olga", now=T0, controls=controls) is Verdict.IDLE


def test_with_a_short_lapse_the_session_is_touched_more_often(controls: Controls) -> None:
    """A tenth of the lapse: a session never lapses more than a tenth early."""
    brisk = replace(controls, idle=timedelta(minutes=2))
    assert brisk.touch_every == timedelta(seconds=12)
    assert judge(seen(0.25), user_id="olga", now=T0, controls=brisk) is Verdict.STALE


def test_ended_unknown_and_borrowed_sessions_are_ended(controls: Controls) -> None:
    for row in (seen(0, ended=True), None, seen(0, user_id="sam")):
        assert judge(row, user_id="olga", now=T0, controls=controls) is Verdict.ENDED
