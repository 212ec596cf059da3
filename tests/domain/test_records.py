"""Step records: deterministic ids, so a retried write cannot make a duplicate."""

from __future__ import annotations

from ebr.domain.records import Meaning, StepRecord


def test_record_id_is_deterministic_and_distinguishes_meaning_and_execution() -> None:
    first = StepRecord.make_id("B-1", "weigh-api", 1, Meaning.PERFORMED)
    assert first == "B-1/weigh-api/1/performed"
    assert StepRecord.make_id("B-1", "weigh-api", 1, Meaning.PERFORMED) == first
    others = {
        StepRecord.make_id("B-1", "weigh-api", 1, Meaning.VERIFIED),
        StepRecord.make_id("B-1", "weigh-api", 2, Meaning.PERFORMED),
        StepRecord.make_id("B-2", "weigh-api", 1, Meaning.PERFORMED),
    }
    assert first not in others
    assert len(others) == 3
