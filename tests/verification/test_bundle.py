"""``ebr export`` and ``ebr verify --bundle``: a batch's evidence checked alone, elsewhere."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from activities.audit_log import AuditLogActivities
from ebr.audit import audit
from ebr.domain.subjects import SubjectKind
from ebr.store.db import session_scope
from signatures.ca import certificate_pem, create_site_ca
from signatures.merkle import leaf_hash
from tests.verification.conftest import Store, flat

Bundle = dict[str, Any]
WEIGHED = "B-A/weigh-api/1/performed"
VERIFIED = "B-A/weigh-api/1/verified"
READ_SOP = "B-A/read-sop/1/performed"
RELEASED = "B-A/batch:B-A/released"
DISPOSED = "B-A/deviation:B-A-DEV-1/approved"


def export(store: Store, tmp_path: Path, batch: str = "B-A") -> Path:
    out = tmp_path / f"{batch}.json"
    result = store.ebr("export", "--batch", batch, "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


def test_an_exported_bundle_verifies_against_the_site_ca(store: Store, tmp_path: Path) -> None:
    bundle = export(store, tmp_path)
    ca = tmp_path / "ca.pem"
    assert store.ebr("ca", "export", "--out", str(ca)).exit_code == 0
    data = json.loads(bundle.read_text())
    assert data["format"] == "ebr.bundle/2" and len(data["records"]) == 11
    kinds = [SubjectKind(r["subject_kind"]) for r in data["records"]]
    assert kinds == [SubjectKind.BATCH_STEP] * 6 + [
        SubjectKind.DEVIATION, SubjectKind.HOLD, SubjectKind.DEVIATION, SubjectKind.HOLD,
        SubjectKind.BATCH,
    ]  # fmt: skip
    assert all(e["proof"] for e in data["audit"]) and data["checkpoint"]["tree_size"] > 11
    result = store.ebr("verify", "--bundle", str(bundle), "--ca", str(ca))
    assert result.exit_code == 0, result.output
    out = flat(result)
    assert "bundle of batch B-A is consistent" in out and "warning" not in out
    assert "signed records of its chain │ 11" in out and "of which decisions │ 5" in out
    assert f"audit entries (inclusion proven) │ {len(data['audit'])} " in out


def test_a_bundle_without_ca_trusts_its_own_and_says_so(store: Store, tmp_path: Path) -> None:
    result = store.ebr("verify", "--bundle", str(export(store, tmp_path, "B-B")))
    assert result.exit_code == 0, result.output
    assert "trusted from the bundle itself" in flat(result)
    assert "signed records of its chain │ 6" in flat(result)
    assert "of which decisions │ 0" in flat(result)


def test_export_waits_for_a_checkpoint_covering_the_batch(store: Store, tmp_path: Path) -> None:
    with session_scope(store.engine) as session:
        audit(
            session,
            event_key="late",
            at=datetime.now(UTC),
            actor="quinn",
            station="qa-lab",
            action="note",
            entity="batch",
            entity_id="B-A",
            batch_id="B-A",
            reason="late note",
        )
    result = store.ebr("export", "--batch", "B-A", "--out", str(tmp_path / "b.json"))
    assert result.exit_code == 2 and "ebr checkpoint" in flat(result)
    assert not (tmp_path / "b.json").exists()
    written = AuditLogActivities(store.engine, store.site.trust).write_checkpoint()
    assert written.tree_size == store.site.latest + 1
    assert json.loads(export(store, tmp_path).read_text())["audit"][-1]["idx"] == store.site.latest


def test_the_checkpoint_command_signs_once(store: Store) -> None:
    """``ebr checkpoint`` (it opens the store as the worker does, through ``ebr.runtime``)."""
    with session_scope(store.engine) as session:
        audit(session, event_key="late", at=datetime.now(UTC), actor="quinn", station="qa-lab",
              action="note", entity="batch", entity_id="B-A", batch_id="B-A", reason="late")  # fmt: skip
    signed = store.ebr("checkpoint")
    size = store.site.latest + 1
    assert signed.exit_code == 0, signed.output
    assert f"checkpoint signed: tree size {size}" in flat(signed)
    assert "already signed" in flat(store.ebr("checkpoint"))


def test_export_of_an_unknown_batch_is_a_clear_error(store: Store, tmp_path: Path) -> None:
    result = store.ebr("export", "--batch", "nope", "--out", str(tmp_path / "b.json"))
    assert result.exit_code == 2 and "there is no batch 'nope'" in flat(result)


def _record(bundle: Bundle, seq: int) -> dict[str, Any]:
    return next(r for r in bundle["records"] if r["seq"] == seq)


def flip_payload(bundle: Bundle) -> None:
    _record(bundle, 2)["payload"] = _record(bundle, 2)["payload"].replace("25.01", "25.91")


def flip_signature(bundle: Bundle) -> None:
    signature = _record(bundle, 2)["signature"]
    _record(bundle, 2)["signature"] = ("B" if signature[0] == "A" else "A") + signature[1:]


def swap_certificate(bundle: Bundle) -> None:
    olga, omar = (_record(bundle, 2)["key_id"], _record(bundle, 3)["key_id"])
    certificates = bundle["certificates"]
    certificates[olga]["certificate_pem"] = certificates[omar]["certificate_pem"]


def replace_ca(bundle: Bundle) -> None:
    rogue = create_site_ca(
        organization="Verification Test Site", common_name="Rogue CA", now=datetime.now(UTC)
    )
    bundle["ca_certificate"] = certificate_pem(rogue.certificate)


def _entry(bundle: Bundle, record_id: str) -> dict[str, Any]:
    return next(e for e in bundle["audit"] if f'"entity_id":"{record_id}"' in e["canonical"])


def edit_entry(bundle: Bundle) -> None:
    entry = _entry(bundle, WEIGHED)
    entry["canonical"] = entry["canonical"].replace("record_signed", "record_voided")


def rewrite_entry(bundle: Bundle) -> None:
    edit_entry(bundle)
    entry = _entry(bundle, WEIGHED)
    entry["leaf_hash"] = leaf_hash(entry["canonical"].encode()).hex()


def flip_proof(bundle: Bundle) -> None:
    _entry(bundle, VERIFIED)["proof"][0] = "00" * 32


def drop_last_record(bundle: Bundle) -> None:
    bundle["records"].pop()


def drop_middle_record(bundle: Bundle) -> None:
    bundle["records"].pop(2)


def move_disposition_to_another_deviation(bundle: Bundle) -> None:
    _record(bundle, 7)["subject_id"] = "B-A-DEV-2"


def drop_disposition(bundle: Bundle) -> None:
    bundle["records"].remove(_record(bundle, 7))


def move_release_to_another_chain(bundle: Bundle) -> None:
    _record(bundle, 11).update(chain_id="B-B", batch_id="B-B")


def forge_checkpoint_root(bundle: Bundle) -> None:
    bundle["checkpoint"]["root_hash"] = "00" * 32


def drop_entry(bundle: Bundle) -> None:
    bundle["audit"].remove(_entry(bundle, READ_SOP))


TAMPERS: list[tuple[Callable[[Bundle], None], str, str, str]] = [
    (flip_payload, "signed_records", WEIGHED, "record_hash is not the SHA-256"),
    (flip_signature, "signed_records", WEIGHED, "signature does not verify"),
    (swap_certificate, "user_keys", "key ", "not this key id"),
    (replace_ca, "user_keys", "key ", "is not the site CA"),
    (edit_entry, "audit_log", "idx {weighed}", "leaf_hash is not the leaf hash"),
    (
        rewrite_entry,
        "audit_log",
        "idx {weighed}",
        "not in the log the checkpoint of size {latest} signed",
    ),
    (flip_proof, "audit_log", "idx {verified}", "not in the log"),
    (drop_last_record, "signed_records", RELEASED, "is missing"),
    (drop_middle_record, "signed_records", "batch B-A seq 3", "missing"),
    (move_disposition_to_another_deviation, "signed_records", DISPOSED, "column subject_id"),
    (drop_disposition, "signed_records", "batch B-A seq 7", "missing"),
    (move_release_to_another_chain, "signed_records", RELEASED, "not of the chain of batch B-A"),
    (forge_checkpoint_root, "audit_checkpoints", "size {latest}", "signature does not verify"),
    (drop_entry, "signed_records", "B-A/read-sop/1/performed", "no audit entry"),
]


@pytest.mark.parametrize("pristine", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("tamper", "table", "entry", "problem"), TAMPERS, ids=[t[0].__name__ for t in TAMPERS]
)
def test_a_tampered_bundle_fails_precisely(
    store: Store,
    tmp_path: Path,
    tamper: Callable[[Bundle], None],
    table: str,
    entry: str,
    problem: str,
) -> None:
    path = export(store, tmp_path)
    bundle = json.loads(path.read_text())
    tamper(bundle)
    path.write_text(json.dumps(bundle))
    result = store.ebr("verify", "--bundle", str(path))
    out = flat(result)
    assert result.exit_code == 1, out
    facts = store.site.facts()
    assert f"table: {table} " in out and f"entry: {entry.format(**facts)}" in out, out
    assert problem.format(**facts) in out, out


@pytest.mark.parametrize("pristine", ["sqlite"], indirect=True)
def test_a_replaced_ca_is_caught_by_the_auditor_s_own_ca(store: Store, tmp_path: Path) -> None:
    path = export(store, tmp_path)
    ca = tmp_path / "ca.pem"
    ca.write_text(json.loads(path.read_text())["ca_certificate"])
    bundle = json.loads(path.read_text())
    replace_ca(bundle)
    path.write_text(json.dumps(bundle))
    out = flat(store.ebr("verify", "--bundle", str(path), "--ca", str(ca)))
    assert "entry: ca_certificate" in out and "not the CA given with --ca" in out


@pytest.mark.parametrize("pristine", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("content", "code"),
    [("not json", 2), ('{"format": "other"}', 1), ('{"format": "ebr.bundle/1"}', 1), ("[]", 1)],
)
def test_a_malformed_bundle_is_a_clear_error(
    store: Store, tmp_path: Path, content: str, code: int
) -> None:
    path = tmp_path / "bundle.json"
    path.write_text(content)
    result = store.ebr("verify", "--bundle", str(path))
    assert result.exit_code == code and "Traceback" not in result.output


@pytest.mark.parametrize("pristine", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("field", "value"), [("payload", None), ("seq", "7"), ("key_id", 1)])
def test_a_bundled_record_of_the_wrong_shape_is_refused_by_name(
    store: Store, tmp_path: Path, field: str, value: object
) -> None:
    path = export(store, tmp_path)
    bundle = json.loads(path.read_text())
    _record(bundle, 7)[field] = value
    path.write_text(json.dumps(bundle))
    result = store.ebr("verify", "--bundle", str(path))
    out = flat(result)
    assert result.exit_code == 1 and "Traceback" not in out, out
    assert "table: bundle entry: structure" in out and f"record field {field} is a" in out, out
