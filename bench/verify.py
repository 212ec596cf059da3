"""``ebr verify`` over 100,000 signed records, against the raw Ed25519 verify rate of this machine.

``python -m bench.verify [--records N] [--url URL]`` builds a site and N records as the system
writes them (signed ``RecordPayload``s chained per batch, each with its audit entry; in bulk),
and two checkpoints; then times ``check_signed_records`` (row against payload, certificate,
signature, chain) against raw ``Ed25519PublicKey.verify`` (target ratio >= 0.7), and the whole
``verify_store``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, insert, select
from sqlmodel import Session

from activities.audit_log import AuditLogActivities
from ebr.audit import make_entry
from ebr.domain.meanings import Meaning
from ebr.domain.signed_records import GENESIS, RecordPayload, Signer
from ebr.domain.subjects import ChainKind, batch_chain, step_subject
from ebr.domain.values import RecordedValue
from ebr.seed import DEMO_USERS, demo_password, seed_demo
from ebr.store.audit import AuditRow, audit_size
from ebr.store.batches import BatchRow
from ebr.store.db import make_engine, migrate, session_scope
from ebr.store.keys import active_key, all_certificates
from ebr.store.signed_records import SignedRecordRow
from ebr.trust import SiteTrust, load_or_create_trust
from ebr.verification.certificates import check_user_keys
from ebr.verification.evidence import KeyEvidence, RecordEvidence
from ebr.verification.signed_records import RecipeHashes, check_signed_records
from ebr.verification.store import verify_store
from signatures.canonical import canonical_json
from signatures.keys import WrappedKey, unwrap_key

SIGNERS = ("olga", "omar", "sam", "quinn")
RECIPE = "ab" * 32
PER_BATCH = 100
CHUNK = 5_000
SLICE = 50 * PER_BATCH  # whole batches, so each slice's chains are complete
RECORDS_TABLE: Table = SignedRecordRow.__table__  # type: ignore[attr-defined]
AUDIT_TABLE: Table = AuditRow.__table__  # type: ignore[attr-defined]
BATCHES_TABLE: Table = BatchRow.__table__  # type: ignore[attr-defined]


def build(engine: Engine, trust: SiteTrust, total: int) -> None:
    """Users and keys, ``total`` signed records in batches of 100 with audit entries, checkpoints."""
    seed_demo(engine, trust)
    names = {user.user_id: user.full_name for user in DEMO_USERS}
    keys, key_ids = {}, {}
    with session_scope(engine) as session:
        for user_id in SIGNERS:
            row = active_key(session=session, user_id=user_id)
            assert row is not None
            keys[user_id] = unwrap_key(WrappedKey.from_json(row.wrapped), demo_password(user_id))
            key_ids[user_id] = row.key_id
        next_idx = audit_size(session=session)
    begin = datetime.now(UTC)
    batches = (total + PER_BATCH - 1) // PER_BATCH
    _insert(engine, BATCHES_TABLE, [_batch(b, begin) for b in range(batches)])
    records: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    head = GENESIS
    for n in range(total):
        batch, seq = n // PER_BATCH, n % PER_BATCH + 1
        head = GENESIS if seq == 1 else head
        user_id = SIGNERS[n % len(SIGNERS)]
        payload = RecordPayload(
            chain=batch_chain(f"BENCH-{batch:05d}"),
            recipe_hash=RECIPE,
            seq=seq,
            prev_hash=head,
            subject=step_subject(f"s{seq:03d}"),
            execution=1,
            meaning=Meaning.PERFORMED,
            values=(RecordedValue(name="v", type="number", value=f"{n % 10}.00", unit="kg"),),
            signer=Signer(user_id=user_id, full_name=names[user_id]),
            station="line-1",
            signed_at=begin + timedelta(microseconds=n),
        )
        data = canonical_json(payload.signable())
        digest = hashlib.sha256(data).hexdigest()
        record = payload.to_record()
        records.append(
            {
                **record.model_dump(mode="json", exclude={"chain", "subject", "recorded_at"}),
                "chain_kind": record.chain.kind.value,
                "chain_id": record.chain.id,
                "subject_kind": record.subject.kind.value,
                "subject_id": record.subject.id,
                "batch_id": record.batch_id,
                "recorded_at": payload.signed_at,
                "payload": data.decode(),
                "record_hash": digest,
                "prev_hash": head,
                "signature": base64.b64encode(keys[user_id].sign(data)).decode(),
                "key_id": key_ids[user_id],
            }
        )
        entry = make_entry(
            event_key=f"{record.record_id}/signed",
            at=payload.signed_at,
            actor=user_id,
            station="line-1",
            action="record_signed",
            entity="signed_record",
            entity_id=record.record_id,
            batch_id=payload.batch_id,
            old_value=None,
            new_value={
                "subject": payload.subject.model_dump(mode="json"),
                "meaning": payload.meaning.value,
                "values": [v.model_dump(mode="json") for v in payload.values],
                "comment": None,
                "record_hash": digest,
            },  # as activities.signed_records writes it
            reason=None,
        )
        entries.append({"idx": next_idx + n, **entry.__dict__})
        head = digest
        if len(records) == CHUNK or n + 1 in (total // 2, total):
            _insert(engine, RECORDS_TABLE, records)
            _insert(engine, AUDIT_TABLE, entries)
            records, entries = [], []
        if n + 1 in (total // 2, total):
            AuditLogActivities(engine, trust).write_checkpoint()


def _batch(number: int, at: datetime) -> dict[str, Any]:
    name, fixed = f"BENCH-{number:05d}", {"steps_done": 0, "progress_seq": 0, "created_by": "sam"}
    return {"batch_id": name, "batch_number": name, "recipe_code": "BENCH", "recipe_version": 1,
            "recipe_hash": RECIPE, "product_code": "P", "planned_value": "1", "planned_unit": "kg",
            "status": "in_progress", "steps_total": PER_BATCH, "created_at": at, "updated_at": at,
            **fixed}  # fmt: skip


def _insert(engine: Engine, table: Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        with engine.begin() as connection:
            connection.execute(insert(table), rows)


def load(
    engine: Engine, trust: SiteTrust
) -> tuple[list[RecordEvidence], dict[str, Any], RecipeHashes]:
    """What ``verify_store`` reads before checking records: rows, checked keys, recipe hashes."""
    with Session(engine) as session:
        keys = [
            KeyEvidence(r.key_id, r.user_id, r.certificate_pem, r.valid_from, r.retired_at)
            for r in all_certificates(session=session)
        ]
        trusted = check_user_keys(keys, trust.ca.certificate)
        pairs = select(BATCHES_TABLE.c.batch_id, BATCHES_TABLE.c.recipe_hash)
        batches = {
            (ChainKind.BATCH.value, str(b)): str(h) for b, h in session.connection().execute(pairs)
        }
        columns = RECORDS_TABLE.c
        query = select(RECORDS_TABLE).order_by(columns.chain_kind, columns.chain_id, columns.seq)
        rows = session.connection().execute(query)
        records = [RecordEvidence.of(row._mapping) for row in rows]
    return records, trusted, batches


def interleaved(
    records: list[RecordEvidence], trusted: dict[str, Any], batches: RecipeHashes
) -> tuple[float, float]:
    """CPU seconds of raw verify and of ``check_signed_records`` over the same records.

    The two alternate over slices of whole batches and CPU time is counted, not wall time, so
    other load on the machine (tests running alongside) weighs on both alike.
    """
    raw_s = checks_s = 0.0
    for start in range(0, len(records), SLICE):
        part = records[start : start + SLICE]
        items = [
            (trusted[r.key_id].public_key, r.payload.encode(), base64.b64decode(r.signature))
            for r in part
        ]
        started = time.process_time()
        for public_key, data, signature in items:
            public_key.verify(signature, data)
        raw_s += time.process_time() - started
        started = time.process_time()
        if check_signed_records(part, trusted, batches).signed != len(items):
            raise SystemExit("check_signed_records did not verify every record")
        checks_s += time.process_time() - started
    return raw_s, checks_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--url", help="a migrated, empty store (default: a new SQLite file)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ebr_bench_") as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'ebr.db'}"
        migrate(url)
        engine = make_engine(url)
        trust = load_or_create_trust(Path(tmp), site_name="bench site", passphrase=None)
        started = time.perf_counter()
        build(engine, trust, args.records)
        built = time.perf_counter() - started
        records, trusted, batches = load(engine, trust)
        rounds = [interleaved(records, trusted, batches) for _ in range(args.rounds)]
        raw_s, checks_s = min(r for r, _ in rounds), min(c for _, c in rounds)
        reader = make_engine(url, read_only=True)
        cpu = time.process_time()
        whole = verify_store(
            reader, ca=trust.ca.certificate, checkpoint_certificate=trust.checkpoint_certificate
        )
        cpu = time.process_time() - cpu
        reader.dispose()
        engine.dispose()
    n = len(records)
    print(
        f"records:                       {n:,} ({n // PER_BATCH:,} batches) built in {built:.0f} s"
    )
    print(f"raw Ed25519 verify:            {n / raw_s:,.0f} /s (CPU time, best of {args.rounds})")
    print(f"record checks:                 {n / checks_s:,.0f} /s (check_signed_records)")
    print(f"ratio to raw verify:           {raw_s / checks_s:.3f} (target >= 0.7)")
    print(
        f"whole verify_store:            {whole.records_per_second:,.0f} records/s "
        f"({whole.seconds:.1f} s wall, {cpu:.1f} s CPU; {whole.audit_entries:,} audit entries, "
        f"{whole.checkpoints} checkpoints)"
    )


if __name__ == "__main__":
    main()
