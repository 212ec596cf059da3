"""Signed records of any subject: the payload binds a typed subject to the chain its kind joins,
and record ids are deterministic (a retried write is no duplicate) and unique per chain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from ebr.domain.meanings import Meaning
from ebr.domain.signed_records import GENESIS, RecordPayload, Signer, step_record_id
from ebr.domain.subjects import (
    KINDS,
    Chain,
    ChainKind,
    Subject,
    SubjectKind,
    batch_chain,
    batch_subject,
    deviation_subject,
    hold_subject,
    step_subject,
)

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
HASH = "ab" * 32


def payload(**changes: Any) -> RecordPayload:
    fields: dict[str, Any] = {
        "chain": batch_chain("B-1"),
        "seq": 3,
        "prev_hash": GENESIS,
        "subject": step_subject("weigh-api"),
        "meaning": Meaning.PERFORMED,
        "recipe_hash": HASH,
        "signer": Signer(user_id="olga", full_name="Olga Operator"),
        "station": "line-1",
        "signed_at": T0,
    }
    fields.update(changes)
    return RecordPayload(**fields)


def test_every_subject_kind_has_its_row_and_joins_a_chain_of_its_kind() -> None:
    assert set(KINDS) == set(SubjectKind)
    batch_kinds = {k for k in SubjectKind if k.chain_kind is ChainKind.BATCH}
    assert batch_kinds == {
        SubjectKind.BATCH_STEP,
        SubjectKind.BATCH,
        SubjectKind.DEVIATION,
        SubjectKind.HOLD,
        SubjectKind.REDLINE,
    }
    assert [k for k in SubjectKind if not k.is_decision] == [SubjectKind.BATCH_STEP]
    for kind in SubjectKind:
        assert kind.label and kind.chain_kind in set(ChainKind)


def test_step_record_ids_are_deterministic_and_distinguish_meaning_and_execution() -> None:
    first = step_record_id("B-1", "weigh-api", 1, Meaning.PERFORMED)
    assert first == "B-1/weigh-api/1/performed"
    others = {
        step_record_id("B-1", "weigh-api", 1, Meaning.VERIFIED),
        step_record_id("B-1", "weigh-api", 2, Meaning.PERFORMED),
        step_record_id("B-2", "weigh-api", 1, Meaning.PERFORMED),
    }
    assert first not in others and len(others) == 3
    assert payload().record_id() == first
    corrected = payload(meaning=Meaning.CORRECTED, seq=7)
    assert corrected.record_id() == "B-1/weigh-api/1/corrected/7"


def test_a_decision_in_a_batch_chain_is_named_by_its_subject_so_it_is_taken_once() -> None:
    release = payload(subject=batch_subject("B-1"), meaning=Meaning.RELEASED, seq=40)
    assert release.record_id() == "B-1/batch:B-1/released"
    assert payload(subject=batch_subject("B-1"), meaning=Meaning.RELEASED, seq=41).record_id() == (
        release.record_id()
    )
    lift = payload(subject=hold_subject("B-1-H1"), meaning=Meaning.APPROVED)
    disposition = payload(subject=deviation_subject("B-1-DEV-001"), meaning=Meaning.APPROVED)
    assert lift.record_id() == "B-1/hold:B-1-H1/approved"
    assert disposition.record_id() == "B-1/deviation:B-1-DEV-001/approved"
    assert (release.batch_id, release.step_id) == ("B-1", None)


def test_a_record_of_another_chain_is_named_by_its_place_in_that_chain() -> None:
    lot = payload(
        chain=Chain(kind=ChainKind.LOT, id="LOT-42"),
        subject=Subject(kind=SubjectKind.LOT, id="LOT-42"),
        recipe_hash=None,
        meaning=Meaning.RELEASED,
        seq=2,
    )
    assert lot.record_id() == "lot:LOT-42/2"
    assert (lot.batch_id, lot.step_id) == (None, None)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"subject": Subject(kind=SubjectKind.LOT, id="L-1")}, "joins a lot chain"),
        ({"chain": Chain(kind=ChainKind.ACCOUNT, id="olga")}, "joins a batch chain"),
        ({"recipe_hash": None}, "binds the batch's recipe_hash"),
        ({"subject": batch_subject("B-2"), "meaning": Meaning.RELEASED}, "whose chain it joins"),
        ({"subject": hold_subject("B-1-H1"), "execution": 2}, "only a batch step"),
        ({"signed_at": T0.replace(tzinfo=None)}, "time zone"),
        ({"prev_hash": "not a hash"}, "prev_hash"),
        ({"seq": 0}, "seq"),
        ({"subject": {"kind": "batch-step", "id": ""}}, "subject.id"),
        ({"subject": {"kind": "recipe", "id": "X"}}, "subject.kind"),
    ],
)
def test_a_payload_whose_subject_does_not_fit_its_chain_is_not_a_payload(
    changes: dict[str, Any], words: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        payload(**changes)
    assert words in str(caught.value)


def test_the_signed_form_spells_out_every_field_in_utc() -> None:
    signed = payload(signed_at=T0.astimezone(timezone(timedelta(hours=2)))).signable()
    assert signed["format"] == "ebr.record/2"
    assert signed["chain"] == {"kind": "batch", "id": "B-1"}
    assert signed["subject"] == {"kind": "batch-step", "id": "weigh-api"}
    assert signed["signed_at"] == "2026-11-30T08:00:00Z"
    assert {"detail", "reason", "corrects", "comment", "values"} <= set(signed)


def test_a_record_reads_back_what_was_signed() -> None:
    record = payload(comment="ok", reason=None).to_record()
    assert (record.subject, record.chain, record.step_id, record.batch_id) == (
        step_subject("weigh-api"),
        batch_chain("B-1"),
        "weigh-api",
        "B-1",
    )
    assert not record.is_decision
    assert (record.user_id, record.user_name, record.recorded_at) == ("olga", "Olga Operator", T0)
