"""A signed site for report tests: the verification site plus batch B-C with every exception.

B-C has a comment, a value out of specification, a verification, a correction with its
reason and an unsigned-free chain; B-A (from the verification site) has a correction only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from ebr.domain.records import Meaning
from ebr.domain.signed import GENESIS, RecordPayload, Signer
from ebr.domain.values import RecordedValue
from ebr.store.batches import insert_batch
from ebr.store.db import make_engine, migrate, session_scope
from tests.factories import header_for, small_recipe
from tests.verification.site import NAMES, WEIGHT, Site, build_site, make_trust, persist

BATCH = "B-C"
COMMENT = "Scale recalibrated before weighing"
REASON = "transcription error from the scale ticket"


@dataclass
class ReportSite:
    data_dir: Path
    url: str
    engine: Engine
    site: Site


def build_report_site(data_dir: Path) -> ReportSite:
    """Migrate a SQLite store in ``data_dir``, build the verification site, then batch B-C."""
    trust = make_trust(data_dir)
    url = f"sqlite:///{data_dir / 'ebr.db'}"
    migrate(url)
    engine = make_engine(url)
    site = build_site(engine, trust)
    with session_scope(engine) as session:
        insert_batch(session=session, header=header_for(small_recipe(), BATCH), steps_total=5)
    _sign_exceptions(engine, site)
    return ReportSite(data_dir=data_dir, url=url, engine=engine, site=site)


def _sign_exceptions(engine: Engine, site: Site) -> None:
    heavy = WEIGHT.model_copy(update={"value": "26.10", "entered": None, "in_spec": False})
    fixed = WEIGHT.model_copy(update={"value": "25.10", "entered": None, "in_spec": True})
    remark = RecordedValue(name="remark", type="text", value="Granules slightly darker")
    plan: list[tuple[str, str, Meaning, tuple[RecordedValue, ...], str | None]] = [
        ("olga", "read-sop", Meaning.PERFORMED, (), COMMENT),
        ("olga", "weigh-api", Meaning.PERFORMED, (heavy,), None),
        ("omar", "weigh-api", Meaning.VERIFIED, (), None),
        (
            "olga",
            "clean-check",
            Meaning.PERFORMED,
            (RecordedValue(name="clean", type="check", value=True, in_spec=True),),
            None,
        ),
        (
            "sam",
            "mixer",
            Meaning.PERFORMED,
            (RecordedValue(name="speed", type="choice", value="high"),),
            None,
        ),
        ("olga", "note", Meaning.PERFORMED, (remark,), None),
        ("olga", "weigh-api", Meaning.CORRECTED, (fixed,), None),
    ]
    head, start = GENESIS, datetime.now(UTC)
    for seq, (user_id, step_id, meaning, values, comment) in enumerate(plan, start=1):
        corrected = meaning is Meaning.CORRECTED
        content = RecordPayload(
            batch_id=BATCH,
            recipe_hash=site.recipe_hash,
            seq=seq,
            prev_hash=head,
            step_id=step_id,
            execution=1,
            meaning=meaning,
            values=values,
            comment=comment,
            reason=REASON if corrected else None,
            corrects=f"{BATCH}/weigh-api/1/performed" if corrected else None,
            signer=Signer(user_id=user_id, full_name=NAMES[user_id]),
            station="line-2",
            signed_at=start + timedelta(milliseconds=seq),
        )
        head = persist(engine, site, content, site.users[user_id])
