"""Batch B-D: released after a deviation, two holds and a timer breach, written as the
activities write them (audit entries of each new version, decisions as signed records).

Deviation B-D-DEV-001 (a weighing out of limits) is investigated, classified major (which holds
the batch), closed with QA's signed disposition (accept) and a CAPA; a supervisor's hold is
lifted by QA with a signed lift; the mixer's maximum duration is breached; QA marks one
exception reviewed and releases the batch with a signed decision.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from ebr.audit import audit
from ebr.domain.batch import BatchStatus
from ebr.domain.deviation_decisions import Classification, Decision, Disposition
from ebr.domain.deviations import (
    Deviation,
    Investigation,
    Origin,
    Stage,
)
from ebr.domain.holds import BY_THE_RULES, Hold
from ebr.domain.meanings import Meaning
from ebr.domain.review import ExceptionKind, ReviewException, ReviewMark
from ebr.domain.subjects import (
    Subject,
    batch_chain,
    batch_subject,
    deviation_subject,
    hold_subject,
    step_subject,
)
from ebr.domain.timing import Deadline, TimerBreach, TimerKind
from ebr.domain.values import RecordedValue
from ebr.store.batches import insert_batch, update_batch_progress
from ebr.store.db import session_scope
from tests.chains import Chains
from tests.factories import header_for, small_recipe
from tests.report.site import ReportSite
from tests.verification.site import WEIGHT

BATCH = "B-D"
DEVIATION = f"{BATCH}-DEV-001"
DEVIATION_HOLD = f"{BATCH}-H1"
PERSON_HOLD = f"{BATCH}-H2"
ROOT_CAUSE = "Scale S-3 drifted after its calibration lapsed"
DISPOSITION_REASON = "Re-weighed within limits on a calibrated scale; no impact on quality"
CAPA = "CAPA-2026-042"
HOLD_REASON = "Awaiting the mixer's maintenance sign-off"
LIFT_REASON = "Maintenance signed off the mixer"
RELEASE_REASON = "All exceptions reviewed; batch meets its specification"
BREACH_TEXT = "step 'mixer' was not completed within its maximum duration of 30 minutes"
REVIEW_COMMENT = "Calibration certificate attached to the CAPA"


def add_decided_batch(site: ReportSite, batch_id: str = BATCH) -> None:
    """Write batch ``batch_id`` with every kind of exception and decision into the site's store."""
    engine, chains = site.engine, site.chains
    start = datetime.now(UTC)  # signers' certificates start now: their records come after
    with session_scope(engine) as session:
        insert_batch(session=session, header=header_for(small_recipe(), batch_id), steps_total=5)
    heavy = WEIGHT.model_copy(update={"value": "26.40", "entered": None, "in_spec": False})
    at = iter(start + timedelta(minutes=10 * n) for n in range(1, 100))
    _sign(chains, batch_id, "olga", step_subject("read-sop"), Meaning.PERFORMED, next(at))
    _sign(
        chains, batch_id, "olga", step_subject("weigh-api"), Meaning.PERFORMED, next(at), (heavy,)
    )
    dev_id = f"{batch_id}-DEV-001"
    opened = Deviation(
        id=dev_id,
        batch_id=batch_id,
        opened_at=next(at),
        opened_by=BY_THE_RULES,
        origin=Origin.OUT_OF_LIMIT,
        description="Net weight 26.40 kg above 25.5 kg",
        step_id="weigh-api",
        execution=1,
        critical=True,
    )
    _audit(
        engine, batch_id, "deviation", dev_id, "deviation_opened", opened, "ebr", opened.opened_at
    )
    hold = Hold(
        hold_id=f"{batch_id}-H1",
        batch_id=batch_id,
        placed_at=opened.opened_at,
        placed_by=BY_THE_RULES,
        reason=f"deviation {dev_id}: {opened.description}",
        deviation_id=dev_id,
    )
    _audit(engine, batch_id, "hold", hold.hold_id, "hold_placed", hold, "ebr", hold.placed_at)
    found = Investigation(root_cause=ROOT_CAUSE, impact="Weight of one dispensing only",
                          affected_steps=("weigh-api",), by="sam", at=next(at))  # fmt: skip
    investigated = opened.model_copy(update={"investigation": found, "stage": Stage.INVESTIGATED})
    _audit(
        engine,
        batch_id,
        "deviation",
        dev_id,
        "deviation_investigated",
        investigated,
        "sam",
        found.at,
    )
    classified_at = next(at)
    classified = investigated.model_copy(
        update={
            "classification": Classification.MAJOR,
            "classified_by": "quinn",
            "classified_at": classified_at,
            "stage": Stage.CLASSIFIED,
        }  # fmt: skip
    )
    _audit(
        engine,
        batch_id,
        "deviation",
        dev_id,
        "deviation_classified",
        classified,
        "quinn",
        classified_at,
    )
    with_capa = classified.model_copy(update={"capa_ref": CAPA})
    _audit(engine, batch_id, "deviation", dev_id, "capa_attached", with_capa, "quinn", next(at))
    ruling = Disposition(
        decision=Decision.ACCEPT, reason=DISPOSITION_REASON, by="quinn", at=next(at)
    )
    closed = with_capa.model_copy(update={"disposition": ruling, "stage": Stage.CLOSED})
    detail = {"decision": "accept", "rework_steps": [], "capa_ref": CAPA}
    _sign(chains, batch_id, "quinn", deviation_subject(dev_id), Meaning.APPROVED, ruling.at,
          reason=DISPOSITION_REASON, detail=detail)  # fmt: skip
    _audit(engine, batch_id, "deviation", dev_id, "deviation_closed", closed, "quinn", ruling.at)
    lifted = hold.model_copy(update={"lifted_at": ruling.at, "lifted_by": "quinn",
                                     "lift_reason": f"deviation {dev_id} closed"})  # fmt: skip
    _audit(engine, batch_id, "hold", hold.hold_id, "hold_lifted", lifted, "quinn", ruling.at)
    _sign(chains, batch_id, "omar", step_subject("weigh-api"), Meaning.VERIFIED, next(at))
    person = Hold(hold_id=f"{batch_id}-H2", batch_id=batch_id, placed_at=next(at),
                  placed_by="sam", reason=HOLD_REASON)  # fmt: skip
    _audit(engine, batch_id, "hold", person.hold_id, "hold_placed", person, "sam", person.placed_at)
    lift_at = person.placed_at + timedelta(hours=2, minutes=5)
    _sign(chains, batch_id, "quinn", hold_subject(person.hold_id), Meaning.APPROVED, lift_at,
          reason=LIFT_REASON)  # fmt: skip
    person_lifted = person.model_copy(
        update={"lifted_at": lift_at, "lifted_by": "quinn", "lift_reason": LIFT_REASON}
    )
    _audit(engine, batch_id, "hold", person.hold_id, "hold_lifted", person_lifted, "quinn", lift_at)
    deadline = Deadline(timer_id="max_duration:mixer:1", kind=TimerKind.MAX_DURATION,
                        step_id="mixer", execution=1, due_at=lift_at + timedelta(minutes=1),
                        minutes=30, description=BREACH_TEXT)  # fmt: skip
    breach = TimerBreach(deadline=deadline, at=deadline.due_at + timedelta(seconds=1))
    _audit(engine, batch_id, "timer", deadline.timer_id, "timer_breached", breach, "ebr", breach.at)
    clean = RecordedValue(name="clean", type="check", value=True, in_spec=True)
    _sign(chains, batch_id, "olga", step_subject("clean-check"), Meaning.PERFORMED, breach.at
          + timedelta(minutes=2), (clean,))  # fmt: skip
    speed = RecordedValue(name="speed", type="choice", value="low")
    _sign(chains, batch_id, "sam", step_subject("mixer"), Meaning.PERFORMED, breach.at
          + timedelta(minutes=4), (speed,))  # fmt: skip
    mark = ReviewMark(exception_id=f"deviation:{dev_id}", by="quinn",
                      at=breach.at + timedelta(minutes=6), comment=REVIEW_COMMENT)  # fmt: skip
    seen = ReviewException(id=mark.exception_id, kind=ExceptionKind.DEVIATION,
                           at=opened.opened_at, summary=f"deviation {dev_id}")  # fmt: skip
    _audit(engine, batch_id, "review", mark.exception_id, "exception_reviewed",
           {"mark": mark.model_dump(mode="json"), "exception": seen.model_dump(mode="json")},
           "quinn", mark.at)  # fmt: skip
    released = mark.at + timedelta(minutes=1)
    seq = _sign(chains, batch_id, "quinn", batch_subject(batch_id), Meaning.RELEASED, released,
                reason=RELEASE_REASON)  # fmt: skip
    with session_scope(engine) as session:
        update_batch_progress(session=session, batch_id=batch_id, status=BatchStatus.RELEASED,
                              steps_done=4, completed_at=released, at=released, seq=seq)  # fmt: skip


def _audit(engine: Engine, batch_id: str, entity: str, entity_id: str, action: str,
           value: Any, actor: str, at: datetime) -> None:  # fmt: skip
    """An audit entry as the batch-event activities write it: the new version in full."""
    body = value.model_dump(mode="json") if hasattr(value, "model_dump") else value
    with session_scope(engine) as session:
        audit(session, event_key=f"{batch_id}/{entity}/{entity_id}/{action}", at=at, actor=actor,
              station="line-2", action=action, entity=entity, entity_id=entity_id,
              batch_id=batch_id, new_value=body)  # fmt: skip


def _sign(
    chains: Chains,
    batch_id: str,
    user_id: str,
    subject: Subject,
    meaning: Meaning,
    at: datetime,
    values: tuple[RecordedValue, ...] = (),
    *,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> int:
    """Sign the next record of the batch's chain; return its seq."""
    stored = chains.append(batch_chain(batch_id), subject, meaning, by=user_id, values=values,
                           reason=reason, detail=detail, station="line-2", at=at)  # fmt: skip
    return stored.payload.seq
