"""``ebr verify`` derives the steps of batch B-RL from its master and its signed redlines: a clean
store says how many redlines it applied; records signed with real keys (an insider's, around the
application) that break the redline rules are named, record by record, before the audit log is
read.

Every forged record is appended to B-RL's chain on its head (or replaces its last record), so
its signature, its columns and the chain's links all verify: only the redline rules can tell.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, func, select

from ebr.domain.meanings import Meaning
from ebr.domain.redline_changes import RedlineContent
from ebr.domain.signed_records import RecordPayload, Signer
from ebr.domain.subjects import Subject, batch_chain, redline_subject, step_subject
from tests.verification.attacks import RECORDS, by_id, in_chain, replace_signed, store_forged
from tests.verification.conftest import Store, flat
from tests.verification.site import NAMES, REDLINED, SAMPLING, Site

CHAIN = batch_chain(REDLINED)
RL1, RL2 = redline_subject(f"{REDLINED}-RL1"), redline_subject(f"{REDLINED}-RL2")
WEIGH_TWICE = RedlineContent.model_validate(
    {"changes": [{"kind": "instructions", "step_id": "weigh-api", "instructions": "Twice."}]}
)
RINSE_EARLY = RedlineContent.model_validate(
    {
        "changes": [
            {
                "kind": "add_step",
                "after": "read-sop",
                "step": {
                    "id": "rinse",
                    "name": "Rinse",
                    "instructions": "Rinse.",
                    "kind": "instruction",
                },
            }
        ]
    }
)
NOTE_TIMER = RedlineContent.model_validate(
    {"changes": [{"kind": "timer", "step_id": "note", "max_duration_minutes": 30}]}
)


def _append(
    connection: Connection, site: Site, subject: Subject, meaning: Meaning, by: str, **fields: Any
) -> str:
    """Sign the next record of B-RL's chain as ``by``, on its head; return its record id."""
    seq = connection.execute(
        select(func.max(RECORDS.c.seq)).where(RECORDS.c.chain_id == CHAIN.id)
    ).scalar_one()
    payload = RecordPayload(
        chain=CHAIN,
        recipe_hash=site.recipe_hash,
        seq=seq + 1,
        prev_hash=in_chain(connection, CHAIN, seq).record_hash,
        subject=subject,
        meaning=meaning,
        signer=Signer(user_id=by, full_name=NAMES[by]),
        station="office",
        signed_at=datetime.now(UTC),
        **fields,
    )
    store_forged(connection, payload, site.users[by])
    return payload.record_id()


def _decided(content: RedlineContent) -> dict[str, Any]:
    return {"detail": {"content_hash": content.content_hash()}}


def _proposed(content: RedlineContent) -> dict[str, Any]:
    return {"reason": "forged", "detail": content.detail()}


Edit = Callable[[Connection, Site], str]


def decided_twice(c: Connection, s: Site) -> str:
    return _append(c, s, RL1, Meaning.REJECTED, "rita", reason="no", **_decided(SAMPLING))


def decided_unproposed(c: Connection, s: Site) -> str:
    return _append(c, s, RL2, Meaning.APPROVED, "quinn", **_decided(NOTE_TIMER))


def changes_a_recorded_step(c: Connection, s: Site) -> str:
    _append(c, s, RL2, Meaning.PROPOSED, "sam", **_proposed(WEIGH_TWICE))
    return _append(c, s, RL2, Meaning.APPROVED, "quinn", **_decided(WEIGH_TWICE))


def adds_before_a_recorded_step(c: Connection, s: Site) -> str:
    _append(c, s, RL2, Meaning.PROPOSED, "sam", **_proposed(RINSE_EARLY))
    return _append(c, s, RL2, Meaning.APPROVED, "quinn", **_decided(RINSE_EARLY))


def approved_by_its_proposer(c: Connection, s: Site) -> str:
    _append(c, s, RL2, Meaning.PROPOSED, "quinn", **_proposed(NOTE_TIMER))
    return _append(c, s, RL2, Meaning.APPROVED, "quinn", **_decided(NOTE_TIMER))


def names_other_content(c: Connection, s: Site) -> str:
    _append(c, s, RL2, Meaning.PROPOSED, "sam", **_proposed(NOTE_TIMER))
    return _append(c, s, RL2, Meaning.APPROVED, "quinn", **_decided(WEIGH_TWICE))


def step_not_in_the_recipe(c: Connection, s: Site) -> str:
    last = f"{REDLINED}/sample/1/performed"
    payload = RecordPayload.model_validate_json(by_id(c, last).payload)
    forged = payload.model_copy(update={"subject": step_subject("rinse")})
    replace_signed(c, last, forged, s.users["olga"])
    return forged.record_id()


ATTACKS: list[tuple[Edit, str]] = [
    (decided_twice, f"redline {REDLINED}-RL1 is decided a second time"),
    (decided_unproposed, f"redline {REDLINED}-RL2 is decided before it was proposed"),
    (changes_a_recorded_step, "it changes step 'weigh-api', which has a record before it (seq 4)"),
    (
        adds_before_a_recorded_step,
        "it adds step 'rinse' before step 'weigh-api', which has a record",
    ),
    (approved_by_its_proposer, f"redline {REDLINED}-RL2 is decided by its own proposer, quinn"),
    (names_other_content, f"it names content {WEIGH_TWICE.content_hash()}, not its proposal's"),
    (step_not_in_the_recipe, "step 'rinse' is not a step of the batch's recipe"),
]


def test_a_clean_store_applies_the_redline(store: Store) -> None:
    result = store.ebr("verify")
    assert result.exit_code == 0, result.output
    assert "redlines applied to their master │ 1 " in flat(result)


@pytest.mark.parametrize(("edit", "problem"), ATTACKS, ids=[e.__name__ for e, _ in ATTACKS])
def test_records_that_break_the_redline_rules_are_named(
    store: Store, edit: Edit, problem: str
) -> None:
    forged: list[str] = []
    store.tamper(lambda connection, site: forged.append(edit(connection, site)))
    result = store.ebr("verify")
    out = flat(result)
    assert result.exit_code == 1, out
    assert "Traceback" not in out
    assert "table: signed_records " in out, out
    assert f"entry: {forged[0]} " in out, out
    assert problem in out, out
