"""The witness: checkpoints kept out of the database's reach catch what the store alone cannot
show, namely the newest entries deleted with the checkpoint that covered them, and a log
rewritten and re-signed with the stolen site key."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, delete
from temporalio.exceptions import ApplicationError

from activities.audit_log import AuditLogActivities
from ebr.audit import audit
from ebr.store.db import session_scope
from ebr.witness import WitnessConflict, witness_checkpoint, witnessed_checkpoints
from signatures.checkpoints import Checkpoint
from tests.verification.attacks import AUDIT, CHECKPOINTS, resign_all, rewrite_entry
from tests.verification.conftest import Store, flat
from tests.verification.site import Site


def witnessed(store: Store, witness: Path) -> int:
    """The store's latest checkpoint handed to the witness, as the checkpoint schedule does."""
    written = AuditLogActivities(store.engine, store.site.trust, witness).write_checkpoint()
    return written.tree_size


def downloads(store: Store, count: int) -> None:
    """Entries no signed record names (an auditor's downloads), after the latest checkpoint."""
    with session_scope(store.engine) as session:
        for n in range(count):
            audit(session, event_key=f"download-{n}", at=datetime.now(UTC), actor="aude",
                  station="office", action="report_downloaded", entity="batch",
                  entity_id="B-A", batch_id="B-A")  # fmt: skip


def _newest_entries_and_their_checkpoint_deleted(connection: Connection, site: Site) -> None:
    """Back to the checkpoint before: the downloads and the checkpoint that covered them gone."""
    connection.execute(delete(CHECKPOINTS).where(CHECKPOINTS.c.tree_size > site.latest))
    connection.execute(delete(AUDIT).where(AUDIT.c.idx >= site.latest))


def _rewritten_and_resigned(connection: Connection, site: Site) -> None:
    rewrite_entry(connection, site.entry_of["B-A/read-sop/1/performed"])
    resign_all(connection, site, key=site.trust.checkpoint_key, sizes=site.sizes)


def test_a_clean_store_is_consistent_with_its_witness(store: Store, tmp_path: Path) -> None:
    witness = tmp_path / "witness"
    size = witnessed(store, witness)
    result = store.ebr("verify", "--witness", str(witness))
    out = flat(result)
    assert result.exit_code == 0, out
    assert f"consistent with witnessed checkpoints │ 1 (newest size {size})" in out
    assert "entries after the newest witnessed │ 0" in out


def test_deleting_the_newest_entries_with_their_checkpoint_is_caught(
    store: Store, tmp_path: Path
) -> None:
    witness = tmp_path / "witness"
    downloads(store, 3)
    size = witnessed(store, witness)
    assert size == store.site.latest + 3
    store.tamper(_newest_entries_and_their_checkpoint_deleted)
    assert store.ebr("verify").exit_code == 0, "the store alone looks whole"
    result = store.ebr("verify", "--witness", str(witness))
    out = flat(result)
    assert result.exit_code == 1, out
    assert f"entry: size {size} (witnessed checkpoint)" in out
    assert "fewer than the witnessed checkpoint signed" in out


def test_a_log_rewritten_and_resigned_with_the_site_key_is_caught(
    store: Store, tmp_path: Path
) -> None:
    witness = tmp_path / "witness"
    witnessed(store, witness)
    store.tamper(_rewritten_and_resigned)
    assert store.ebr("verify").exit_code == 0, "re-signed with the real key"
    result = store.ebr("verify", "--witness", str(witness))
    out = flat(result)
    assert result.exit_code == 1, out
    assert "not an extension of the witnessed checkpoint" in out
    with pytest.raises(ApplicationError, match="the audit log was rewritten"):
        witnessed(store, witness)  # the next checkpoint of the same size: an alarm


def test_the_witness_is_written_once_read_only_and_idempotent(store: Store, tmp_path: Path) -> None:
    witness = tmp_path / "witness"
    witnessed(store, witness)
    witnessed(store, witness)
    [path] = list(witness.iterdir())
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    [kept] = witnessed_checkpoints(witness)
    assert kept.tree_size == store.site.latest
    forged = Checkpoint(
        origin=kept.origin,
        tree_size=kept.tree_size,
        root_hash=bytes(32),
        timestamp=kept.timestamp,
        key_id=kept.key_id,
        signature=kept.signature,
    )
    with pytest.raises(WitnessConflict):
        witness_checkpoint(witness, forged)
    assert witnessed_checkpoints(witness) == [kept], "the witnessed checkpoint stands"


def test_a_named_witness_that_is_empty_or_unreadable_is_a_setup_problem(
    store: Store, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = store.ebr("verify", "--witness", str(empty))
    assert result.exit_code == 2 and "holds no checkpoint" in result.output
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "checkpoint-000000000001.json").write_text("not json")
    result = store.ebr("verify", "--witness", str(broken))
    assert result.exit_code == 2 and "is not a checkpoint" in result.output
    assert "Traceback" not in result.output


def test_a_clean_stop_signs_and_witnesses_the_log(store: Store, tmp_path: Path) -> None:
    from ebr.runtime import checkpoint_at_stop
    from ebr.settings import Settings

    witness = tmp_path / "witness"
    downloads(store, 2)
    checkpoint_at_stop(store.engine, store.site.trust, Settings(witness_dir=witness))
    [kept] = witnessed_checkpoints(witness)
    assert kept.tree_size == store.site.latest + 2, "every entry signed at the stop"
    result = store.ebr("checkpoint")
    assert result.exit_code == 0 and "already signed" in result.output


def test_the_checkpoint_command_names_a_witness_conflict(store: Store, tmp_path: Path) -> None:
    witness = tmp_path / "witness"
    witnessed(store, witness)
    store.tamper(_rewritten_and_resigned)
    result = store.ebr("checkpoint", env={"EBR_WITNESS_DIR": str(witness)})
    out = flat(result)
    assert result.exit_code == 1, out
    assert "the audit log was rewritten after it was witnessed" in out
