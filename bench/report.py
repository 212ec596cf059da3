"""The batch-history report's cost: load, render (PDF/A-3b), sign and verify a long batch.

A batch of N steps with 10 number values each (N = 50, 150, 450), every tenth step verified
by a second person, a correction every 25 steps, values out of specification now and then, and
one audit entry per record. Prints pages and seconds per phase, the 450/150 render ratio
(target <= 3.5) and the total for 150 steps (target < 15 s).

    python -m bench.report
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from bench.report_batch import VALUES, enrol, fill, recipe
from ebr.report.loading import load_history
from ebr.report.render import render_pdf
from ebr.report.signing_key import load_or_create_document_key
from ebr.report.verify_pdf import verify_report_pdf
from ebr.store.db import make_engine, migrate
from ebr.trust import SiteTrust, load_or_create_trust
from signatures.pdf import sign_pdf


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
        keys = enrol(engine, trust)
        figures: dict[int, Figures] = {}
        for steps in (50, 150, 450):
            records = fill(engine, keys, recipe(steps), f"BENCH-{steps}")
            figures[steps] = measure(engine, trust, data_dir, f"BENCH-{steps}", records, steps)
        engine.dispose()
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
