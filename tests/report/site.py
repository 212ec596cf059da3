"""A signed site for report tests: the verification site plus batch B-C with every exception.

B-C has a comment, a value out of specification, a verification and a correction with its
reason; B-A (from the verification site) has a correction and QA's decisions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from ebr.domain.meanings import Meaning
from ebr.domain.subjects import batch_chain, step_subject
from ebr.domain.values import RecordedValue
from ebr.store.batches import insert_batch
from ebr.store.db import make_engine, migrate, session_scope
from tests.chains import Chains
from tests.factories import header_for, small_recipe
from tests.verification.site import WEIGHT, Site, build_site, make_trust

BATCH = "B-C"
COMMENT = "Scale recalibrated before weighing"
REASON = "transcription error from the scale ticket"


@dataclass
class ReportSite:
    data_dir: Path
    url: str
    engine: Engine
    site: Site

    @property
    def chains(self) -> Chains:
        """Signs more records into this store, as the site's users."""
        return Chains(self.engine, self.site.trust, self.site.users)


def build_report_site(data_dir: Path) -> ReportSite:
    """Migrate a SQLite store in ``data_dir``, build the verification site, then batch B-C."""
    trust = make_trust(data_dir)
    url = f"sqlite:///{data_dir / 'ebr.db'}"
    migrate(url)
    engine = make_engine(url)
    site = build_site(engine, trust)
    with session_scope(engine) as session:
        header = header_for(small_recipe(), BATCH).model_copy(
            update={"created_at": datetime.now(UTC)}  # its recipe is effective by now
        )
        insert_batch(session=session, header=header, steps_total=5)
    built = ReportSite(data_dir=data_dir, url=url, engine=engine, site=site)
    _sign_exceptions(built.chains)
    return built


def _sign_exceptions(chains: Chains) -> None:
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
    start = datetime.now(UTC)
    for seq, (user_id, step_id, meaning, values, comment) in enumerate(plan, start=1):
        corrected = meaning is Meaning.CORRECTED
        chains.append(
            batch_chain(BATCH),
            step_subject(step_id),
            meaning,
            by=user_id,
            values=values,
            comment=comment,
            reason=REASON if corrected else None,
            corrects=f"{BATCH}/weigh-api/1/performed" if corrected else None,
            station="line-2",
            at=start + timedelta(milliseconds=seq),
        )
