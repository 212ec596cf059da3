"""Batch B-R: two redlines, written as the batch's workflow signs them.

After the weighing, sam proposes redline B-R-RL1 (add a sampling step after the vessel check,
new instructions for the mixer) and quinn approves it; sam proposes B-R-RL2 (a time limit on
the note) and quinn rejects it. The batch then runs the sampling step in its place.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ebr.domain.meanings import Meaning
from ebr.domain.redline_changes import RedlineContent
from ebr.domain.subjects import Subject, batch_chain, redline_subject, step_subject
from ebr.domain.values import RecordedValue
from ebr.store.batches import insert_batch
from ebr.store.db import session_scope
from tests.factories import header_for, small_recipe
from tests.report.site import ReportSite
from tests.verification.site import WEIGHT

BATCH = "B-R"
REASON = "The lab asks for a retained sample of every blend"
REJECTION = "A time limit on the note is not validated"
MIXER = "Mix at low speed for 12 minutes, lid locked."
ADDED = RedlineContent.model_validate(
    {
        "changes": [
            {
                "kind": "add_step",
                "after": "clean-check",
                "step": {
                    "id": "sample",
                    "name": "Take a retained sample",
                    "instructions": "Take 50 g of the blend into a labelled jar.",
                    "kind": "record",
                    "inputs": [
                        {
                            "name": "mass",
                            "label": "Sample mass",
                            "type": "number",
                            "unit": "g",
                            "min": "45",
                            "max": "55",
                        }
                    ],
                },
            },
            {"kind": "instructions", "step_id": "mixer", "instructions": MIXER},
        ]
    }
)
TIMED = RedlineContent.model_validate(
    {"changes": [{"kind": "timer", "step_id": "note", "max_duration_minutes": 30}]}
)
SAMPLE = RecordedValue(
    name="mass", type="number", value="50.2", unit="g", entered="50.2 g", in_spec=True
)


def add_redlined_batch(site: ReportSite) -> None:
    """Write batch B-R with its redlines and records into the site's store."""
    with session_scope(site.engine) as session:
        insert_batch(session=session, header=header_for(small_recipe(), BATCH), steps_total=5)
    at = iter(datetime.now(UTC) + timedelta(minutes=5 * n) for n in range(1, 100))
    clean = RecordedValue(name="clean", type="check", value=True, in_spec=True)
    speed = RecordedValue(name="speed", type="choice", value="low")
    steps: list[tuple[str, Subject, Meaning, dict[str, Any]]] = [
        ("olga", step_subject("read-sop"), Meaning.PERFORMED, {}),
        ("olga", step_subject("weigh-api"), Meaning.PERFORMED, {"values": (WEIGHT,)}),
        ("omar", step_subject("weigh-api"), Meaning.VERIFIED, {}),
        (
            "sam",
            redline_subject(f"{BATCH}-RL1"),
            Meaning.PROPOSED,
            {"reason": REASON, "detail": ADDED.detail()},
        ),
        (
            "quinn",
            redline_subject(f"{BATCH}-RL1"),
            Meaning.APPROVED,
            {"detail": {"content_hash": ADDED.content_hash()}},
        ),
        (
            "sam",
            redline_subject(f"{BATCH}-RL2"),
            Meaning.PROPOSED,
            {"reason": "Notes are written late", "detail": TIMED.detail()},
        ),
        (
            "quinn",
            redline_subject(f"{BATCH}-RL2"),
            Meaning.REJECTED,
            {"reason": REJECTION, "detail": {"content_hash": TIMED.content_hash()}},
        ),
        ("olga", step_subject("clean-check"), Meaning.PERFORMED, {"values": (clean,)}),
        ("olga", step_subject("sample"), Meaning.PERFORMED, {"values": (SAMPLE,)}),
        ("sam", step_subject("mixer"), Meaning.PERFORMED, {"values": (speed,)}),
    ]
    for user_id, subject, meaning, content in steps:
        site.chains.append(
            batch_chain(BATCH),
            subject,
            meaning,
            by=user_id,
            station="line-2",
            at=next(at),
            **content,
        )
