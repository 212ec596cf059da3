"""``ebr verify`` on a store the real workflows wrote: consistent after batches are held, lifted,
rejected and run through; then a batch row rewritten (a rejected batch shown released, steps done
edited) is named, on a copy of the store so the site's other tests go on."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from ebr.store.db import make_engine
from ebr.verification.findings import Inconsistency
from ebr.verification.store import verify_store
from tests.api.decisions import reject
from tests.api.harness import Ebr
from tests.api.steps import run_steps, started
from tests.store.tamper import drop_guards

pytestmark = pytest.mark.e2e


def verify(ebr: Ebr, url: str) -> None:
    engine = make_engine(url)
    try:
        verify_store(
            engine,
            ca=ebr.trust.ca.certificate,
            checkpoint_certificate=ebr.trust.checkpoint_certificate,
        )
    finally:
        engine.dispose()


async def decided_batches(ebr: Ebr) -> tuple[str, str]:
    """One batch held and lifted, then rejected; one run through to review."""
    rejected = await started(ebr)
    await run_steps(ebr, rejected, stop=2)
    answer = await reject(ebr, rejected, reason="wrong powder lot")
    assert answer.status_code == 200, answer.text
    done = await started(ebr)
    await run_steps(ebr, done)
    return rejected, done


async def test_a_store_the_workflows_wrote_verifies(ebr: Ebr) -> None:
    await decided_batches(ebr)
    verify(ebr, ebr.store_url)


def _copy(ebr: Ebr, tmp_path: Path) -> str:
    if not ebr.store_url.startswith("sqlite"):
        pytest.skip("tampered on a copy of the SQLite store; PostgreSQL's own run is above")
    copy = tmp_path / "copy.db"
    source = sqlite3.connect(ebr.store_url.removeprefix("sqlite:///"))
    target = sqlite3.connect(copy)
    try:
        source.backup(target)  # what the WAL holds too, unlike a file copy
    finally:
        source.close()
        target.close()
    return f"sqlite:///{copy}"


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        ("status = 'released'", "its status is released, but audit_log idx"),
        ("steps_done = steps_done - 1", "steps are done, but audit_log idx"),
    ],
)
async def test_a_rewritten_batch_row_is_named(
    ebr: Ebr, tmp_path: Path, edit: str, problem: str
) -> None:
    rejected, _ = await decided_batches(ebr)
    url = _copy(ebr, tmp_path)
    engine = make_engine(url)
    with engine.begin() as connection:
        drop_guards(connection)
        changed = connection.execute(
            text(f"UPDATE batches SET {edit} WHERE batch_id = :id"), {"id": rejected}
        )
        assert changed.rowcount == 1
    engine.dispose()
    with pytest.raises(Inconsistency) as caught:
        verify(ebr, url)
    assert (caught.value.table, caught.value.entry) == ("batches", rejected)
    assert problem in caught.value.problem
