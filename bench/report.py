"""The batch-history report's cost: load, render (PDF/A-3b), sign and verify a long batch.

A batch of N steps with 10 number values each (N = 50, 150, 450), every tenth step verified
by a second person, a correction every 25 steps, values out of specification now and then, and
one audit entry per record; then 5 deviations (each investigated, classified, closed by QA's
signed disposition, the major ones with the hold they placed), QA's signed release, and their
audit entries. Prints pages and seconds per phase, the 450/150 render
ratio (target <= 3.5) and the total for 150 steps (target < 15 s).

    python -m bench.report
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from sqlmodel import Session

from bench.report_batch import VALUES, enrol, fill, recipe, store_signed
from ebr.audit import audit
from ebr.domain.batch import BatchStatus
from ebr.domain.deviation_decisions import Classification, Decision, Disposition
from ebr.domain.deviations import (
    Deviation,
    Investigation,
    Origin,
    Stage,
)
from ebr.domain.holds import BY_THE_RULES, hold_for_deviation, lift_for_deviation
from ebr.domain.meanings import Meaning
from ebr.domain.recipe import Recipe
from ebr.domain.roles import Role
from ebr.domain.signed_records import GENESIS, RecordPayload, Signer
from ebr.domain.subjects import Subject, batch_chain, batch_subject, deviation_subject
from ebr.report.loading import load_history
from ebr.report.render import render_pdf
from ebr.report.signing_key import load_or_create_document_key
from ebr.report.verify_pdf import verify_report_pdf
from ebr.store.batches import update_batch_progress
from ebr.store.db import make_engine, migrate, session_scope
from ebr.store.keys import add_user_key
from ebr.store.signed_records import chain_head
from ebr.store.users import add_user
from ebr.trust import SiteTrust, load_or_create_trust
from signatures.ca import certificate_pem, issue_user_certificate
from signatures.keys import generate_key, public_key_id
from signatures.pdf import sign_pdf

DEVIATIONS = 5
QA = ("quinn", "Quinn Moreau")


@dataclass
class Figures:
    steps: int
    records: int
    pages: int
    load: float
    render: float
    sign: float
    verify: float

    @property
    def total(self) -> float:
        return self.load + self.render + self.sign


def enrol_qa(engine: Engine, trust: SiteTrust) -> dict[str, Ed25519PrivateKey]:
    """QA, who signs the dispositions and the release."""
    key, now = generate_key(), datetime.now(UTC)
    cert = issue_user_certificate(
        trust.ca, user_id=QA[0], full_name=QA[1], public_key=key.public_key(), now=now
    )
    with session_scope(engine) as session:
        add_user(session=session, user_id=QA[0], full_name=QA[1], roles=(Role.QA,),
                 password_hash="-", created_by="bench", at=now)  # fmt: skip
        add_user_key(session=session, key_id=public_key_id(key.public_key()), user_id=QA[0],
                     wrapped="-", certificate_pem=certificate_pem(cert), valid_from=now)  # fmt: skip
    return {QA[0]: key}


def decide(engine: Engine, key: Ed25519PrivateKey, made: Recipe, batch_id: str) -> int:
    """Five deviations on evenly spread steps, each investigated, classified (every other one
    major, holding the batch until its disposition), closed by QA's signed disposition; then QA's
    signed release. Written as the activities write them; returns the records signed."""
    steps = [step.id for step in made.steps()]
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        for n in range(1, DEVIATIONS + 1):
            dev_id, step_id = f"{batch_id}-DEV-{n:03d}", steps[n * len(steps) // 6]
            at = now + timedelta(minutes=10 * n)
            dev = Deviation(id=dev_id, batch_id=batch_id, opened_at=at, opened_by=BY_THE_RULES,
                            origin=Origin.OUT_OF_LIMIT, step_id=step_id, execution=1,
                            description=f"Reading 0 of step {step_id} above 10 kg")  # fmt: skip
            _audited(session, dev, "deviation_opened", at)
            hold = None
            if n % 2:
                hold = hold_for_deviation(hold_id=f"{batch_id}-H{n}", batch_id=batch_id,
                                          deviation_id=dev_id, description=dev.description, at=at)  # fmt: skip
                _audited(session, hold, "hold_placed", at)
            found = Investigation(root_cause="Scale drift", impact="One reading", by="olga",
                                  affected_steps=(step_id,), at=at + timedelta(minutes=1))  # fmt: skip
            dev = dev.model_copy(update={"investigation": found, "stage": Stage.INVESTIGATED})
            _audited(session, dev, "deviation_investigated", found.at)
            kind = Classification.MAJOR if n % 2 else Classification.MINOR
            dev = dev.model_copy(update={"classification": kind, "classified_by": QA[0],
                                         "classified_at": found.at, "stage": Stage.CLASSIFIED})  # fmt: skip
            _audited(session, dev, "deviation_classified", found.at)
            ruling = Disposition(decision=Decision.ACCEPT, reason="Re-weighed within limits",
                                 by=QA[0], at=at + timedelta(minutes=2))  # fmt: skip
            detail = {"decision": "accept", "rework_steps": [], "capa_ref": f"CAPA-{n}"}
            _decision(session, key, made, batch_id, deviation_subject(dev_id), Meaning.APPROVED,
                      ruling.reason, detail, ruling.at)  # fmt: skip
            dev = dev.model_copy(update={"disposition": ruling, "stage": Stage.CLOSED,
                                         "capa_ref": f"CAPA-{n}"})  # fmt: skip
            _audited(session, dev, "deviation_closed", ruling.at)
            if hold is not None:
                lifted = lift_for_deviation(hold, by=QA[0], reason=f"{dev_id} closed", at=ruling.at)
                _audited(session, lifted, "hold_lifted", ruling.at)
        done = now + timedelta(hours=2)
        _decision(session, key, made, batch_id, batch_subject(batch_id), Meaning.RELEASED,
                  "All exceptions reviewed", None, done)  # fmt: skip
        seq, _ = chain_head(session=session, chain=batch_chain(batch_id))
        update_batch_progress(session=session, batch_id=batch_id, status=BatchStatus.RELEASED,
                              steps_done=len(steps), completed_at=done, at=done, seq=seq)  # fmt: skip
    return DEVIATIONS + 1


def _audited(session: Session, item: Any, action: str, at: datetime) -> None:
    entity, entity_id = (
        ("hold", item.hold_id) if action.startswith("hold") else ("deviation", item.id)
    )
    audit(session, event_key=f"{entity_id}/{action}", at=at, actor=QA[0], station="line-1",
          action=action, entity=entity, entity_id=entity_id, batch_id=item.batch_id,
          new_value=item.model_dump(mode="json"))  # fmt: skip


def _decision(session: Session, key: Ed25519PrivateKey, made: Recipe, batch_id: str,
              subject: Subject, meaning: Meaning, reason: str, detail: dict[str, Any] | None,
              at: datetime) -> None:  # fmt: skip
    chain = batch_chain(batch_id)
    seq, head = chain_head(session=session, chain=chain)
    payload = RecordPayload(chain=chain, recipe_hash=made.content_hash(), seq=seq + 1,
                            prev_hash=head or GENESIS, subject=subject, meaning=meaning,
                            reason=reason, detail=detail, station="line-1",
                            signer=Signer(user_id=QA[0], full_name=QA[1]), signed_at=at)  # fmt: skip
    store_signed(session, key, payload)


def measure(
    engine: Engine, trust: SiteTrust, data_dir: Path, batch_id: str, records: int, steps: int
) -> Figures:
    document = load_or_create_document_key(data_dir, ca=trust.ca)
    started = time.perf_counter()
    with Session(engine) as session:
        history = load_history(session=session, batch_id=batch_id)
    loaded = time.perf_counter()
    pdf = render_pdf(history, ca_certificate=trust.ca.certificate, site="Bench site")
    rendered = time.perf_counter()
    signed = sign_pdf(pdf, document.key, document.certificate, trust.ca.certificate)
    sealed = time.perf_counter()
    result = verify_report_pdf(signed, trust.ca.certificate)
    verified = time.perf_counter()
    return Figures(steps, records, result.pages, loaded - started, rendered - loaded,
                   sealed - rendered, verified - sealed)  # fmt: skip


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="ebr_bench_report_") as tmp:
        data_dir = Path(tmp)
        trust = load_or_create_trust(data_dir, site_name="Bench site", passphrase=None)
        url = f"sqlite:///{data_dir / 'ebr.db'}"
        migrate(url)
        engine = make_engine(url)
        keys = {**enrol(engine, trust), **enrol_qa(engine, trust)}
        figures: dict[int, Figures] = {}
        for steps in (50, 150, 450):
            made = recipe(steps)
            records = fill(engine, keys, made, f"BENCH-{steps}")
            records += decide(engine, keys["quinn"], made, f"BENCH-{steps}")
            figures[steps] = measure(engine, trust, data_dir, f"BENCH-{steps}", records, steps)
        engine.dispose()
    print(f"{DEVIATIONS} deviations per batch, each closed by a signed disposition; released")
    print(f"{'steps':>6} {'values':>7} {'records':>8} {'pages':>6} {'load s':>7} {'render s':>9} "
          f"{'sign s':>7} {'verify s':>9} {'total s':>8}")  # fmt: skip
    for f in figures.values():
        print(f"{f.steps:>6} {f.steps * VALUES:>7} {f.records:>8} {f.pages:>6} {f.load:>7.2f} "
              f"{f.render:>9.2f} {f.sign:>7.3f} {f.verify:>9.2f} {f.total:>8.2f}")  # fmt: skip
    ratio = figures[450].render / figures[150].render
    print(f"render 450/150 = {ratio:.2f} (target <= 3.5); "
          f"total for 150 steps = {figures[150].total:.2f} s (target < 15 s)")  # fmt: skip


if __name__ == "__main__":
    main()
