"""``ebr verify`` over a real store: a clean site passes, and every attack is named precisely."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection

from activities.audit_log import AuditLogActivities
from ebr.audit import audit
from ebr.store.db import session_scope
from tests.verification.attacks import ATTACKS, Attack, resign_all, rewrite_entry
from tests.verification.conftest import Store, flat
from tests.verification.site import Site


def test_a_clean_store_verifies_and_says_what_it_covered(store: Store) -> None:
    result = store.ebr("verify")
    assert result.exit_code == 0, result.output
    out = flat(result)
    assert "the record store is consistent" in out
    for label, count in [
        ("users", "8"),
        ("users as their signed account events leave them", "8"),
        ("keys (certificates)", "8"),
        ("signed records", "47"),
        ("batch chains", "3 (24 records)"),
        ("recipe-version chains", "1 (3 records)"),
        ("lot chains", "1 (2 records)"),
        ("equipment chains", "0 (0 records)"),
        ("account chains", "8 (18 records)"),
        ("redlines applied to their master", "1"),
        ("audit entries", str(store.site.latest)),
        ("recipe revisions (body, audited save, signatures)", "1"),
        ("batches on a version effective at their start", "3"),
        ("checkpoints", "2"),
    ]:
        assert f"{label} │ {count} " in out, label
    assert "records / second" in out


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_each_attack_is_named(store: Store, attack: Attack) -> None:
    assert store.ebr("verify").exit_code == 0
    store.tamper(attack.edit)
    result = store.ebr("verify")
    out = flat(result)
    assert result.exit_code == 1, out
    assert "Traceback" not in out
    assert f"table: {attack.table} " in out, out
    assert f"entry: {attack.entry.format(**store.site.facts())}" in out, out
    assert attack.problem in out, out


@pytest.mark.parametrize(
    "attack", [a for a in ATTACKS if a.refused_by_triggers], ids=lambda a: a.name
)
def test_the_database_refuses_the_same_edits_while_its_triggers_stand(
    store: Store, attack: Attack
) -> None:
    with pytest.raises(Exception, match="refused"):
        store.tamper(attack.edit, guards=True)
    assert store.ebr("verify").exit_code == 0


def test_a_saved_checkpoint_catches_a_rewrite_resigned_with_a_stolen_key(
    store: Store, tmp_path: Path
) -> None:
    saved = tmp_path / "checkpoint.json"
    result = store.ebr("verify", "--save-checkpoint", str(saved))
    assert result.exit_code == 0, result.output
    assert json.loads(saved.read_text())["tree_size"] == store.site.latest

    store.tamper(_rewrite_and_resign_with_the_site_key)
    assert store.ebr("verify").exit_code == 0, "re-signed with the real key: only --since can tell"
    result = store.ebr("verify", "--since", str(saved))
    out = flat(result)
    assert result.exit_code == 1, out
    assert f"table: audit_log entry: size {store.site.latest} (saved checkpoint)" in out
    assert "rewritten, removed or reordered" in out


def test_since_passes_when_the_log_only_grew(store: Store, tmp_path: Path) -> None:
    saved = tmp_path / "checkpoint.json"
    assert store.ebr("verify", "--save-checkpoint", str(saved)).exit_code == 0
    with session_scope(store.engine) as session:
        audit(
            session,
            event_key="later",
            at=datetime.now(UTC),
            actor="adam",
            station="office",
            action="note",
            entity="site",
            entity_id="site",
            reason="a later event",
        )
    AuditLogActivities(store.engine, store.site.trust).write_checkpoint()
    result = store.ebr("verify", "--since", str(saved))
    assert result.exit_code == 0, result.output
    assert f"consistent with saved checkpoint │ size {store.site.latest}" in flat(result)


def test_a_saved_checkpoint_that_was_altered_is_refused(store: Store, tmp_path: Path) -> None:
    saved = tmp_path / "checkpoint.json"
    assert store.ebr("verify", "--save-checkpoint", str(saved)).exit_code == 0
    data = json.loads(saved.read_text())
    saved.write_text(json.dumps({**data, "tree_size": store.site.sizes[0]}))
    result = store.ebr("verify", "--since", str(saved))
    assert result.exit_code == 1
    assert f"entry: size {store.site.sizes[0]} (saved checkpoint)" in flat(result)
    assert "signature does not verify" in flat(result)


def _rewrite_and_resign_with_the_site_key(connection: Connection, site: Site) -> None:
    rewrite_entry(connection, site.entry_of["B-A/read-sop/1/performed"])
    resign_all(connection, site, key=site.trust.checkpoint_key, sizes=site.sizes)
