"""Verifying the whole record store offline: read it read-only, run every check in order."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509
from sqlalchemy import Engine, func
from sqlalchemy import select as core_select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlmodel import Session, col, select

from ebr.domain.recipe import Recipe
from ebr.domain.subjects import ChainKind
from ebr.store.audit import AuditRow
from ebr.store.batches import BatchRow
from ebr.store.checkpoints import CheckpointRow
from ebr.store.db import make_engine
from ebr.store.errors import StoreError
from ebr.store.keys import UserKeyRow, all_certificates
from ebr.store.recipe_versions import recipe_versions
from ebr.store.recipes import RecipeRow, get_recipe_by_hash, recipe_of
from ebr.store.signed_records import SignedRecordRow
from ebr.store.users import UserRow
from ebr.verification.accounts import (
    LockEntry,
    UserProjection,
    check_user_rows,
    replay_accounts,
)
from ebr.verification.audit_log import (
    AuditStats,
    check_audit_rows,
    check_record_entries,
    check_since,
)
from ebr.verification.certificates import check_site_certificate, check_user_keys
from ebr.verification.checkpoints import check_checkpoints
from ebr.verification.evidence import KeyEvidence, RecordEvidence
from ebr.verification.findings import Inconsistency, SetupProblem, Summary
from ebr.verification.gc_pause import collection_paused
from ebr.verification.projections import (
    BatchProjection,
    audited_states,
    check_batch_rows,
    deciders,
)
from ebr.verification.recipes import (
    BatchStart,
    SavedRevision,
    StoredRevision,
    check_batch_recipes,
    check_recipe_rows,
    check_signed_contents,
)
from ebr.verification.redlines import check_redlines, redlined_batches
from ebr.verification.signed_records import RecipeHashes, RecordStats, check_signed_records
from signatures.checkpoints import Checkpoint

__all__ = ["open_reader", "verify_store"]


def open_reader(url: str) -> Engine:
    """A read-only engine on the store; a SQLite file that does not exist is not created.

    Raises:
        SetupProblem: the URL is malformed, names an unknown driver, or a missing SQLite file.
    """
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            database = parsed.database or ""
            if not database or database == ":memory:" or not Path(database).is_file():
                raise SetupProblem(f"no record store at {database or url!r}")
        engine = make_engine(url, read_only=True)
    except (ArgumentError, SQLAlchemyError, ValueError) as exc:
        raise SetupProblem(f"cannot open the record store {_hidden(url)}: {exc}") from None
    try:
        with engine.connect():
            pass
    except SQLAlchemyError as exc:
        engine.dispose()
        raise SetupProblem(f"cannot connect to the record store {_hidden(url)}: {exc}") from None
    return engine


def verify_store(
    engine: Engine,
    *,
    ca: x509.Certificate,
    checkpoint_certificate: x509.Certificate,
    since: Checkpoint | None = None,
    witnessed: Sequence[Checkpoint] = (),
) -> Summary:
    """Check everything the store holds, in order, stopping at the first inconsistency.

    Order: user certificates (``check_user_keys``); every signed record of every chain, their
    signatures, each chain's order and links, and the recipe hashes their owner rows hold
    (``check_signed_records``); the steps of each batch with redlines, from its master recipe and
    its signed redlines (``check_redlines``); the audit
    log's rows and tree (``check_audit_rows``); the checkpoints (``check_checkpoints``); the
    checkpoint ``since`` an auditor kept and every ``witnessed`` one (``check_since``: the log
    extends each, and is no shorter than the newest); that signed records and their audit
    entries name each other (``check_record_entries``); last, each user row against its
    account's signed events and audited lockouts (``ebr.verification.accounts``).

    Raises:
        Inconsistency: the first thing found wrong.
        SetupProblem: the store cannot be read (unreachable, not migrated).
    """
    started = time.perf_counter()
    with collection_paused():
        summary, stats, audit, records = _checked(engine, ca, checkpoint_certificate)
        if since is not None:
            key = check_site_certificate(
                checkpoint_certificate, ca, at=since.timestamp, entry="saved checkpoint"
            )
            check_since(since, audit.tree, key)
            summary.since_size = since.tree_size
        for kept in witnessed:
            key = check_site_certificate(
                checkpoint_certificate, ca, at=kept.timestamp, entry="witnessed checkpoint"
            )
            check_since(kept, audit.tree, key, kept="witnessed")
            summary.witnessed += 1
            summary.witnessed_size = max(summary.witnessed_size or 0, kept.tree_size)
        check_record_entries(stats.hashes, audit.records)
        summary.accounts = _check_accounts(engine, records, audit.records)
    summary.seconds = time.perf_counter() - started
    return summary


def _checked(
    engine: Engine, ca: x509.Certificate, checkpoint_certificate: x509.Certificate
) -> tuple[Summary, RecordStats, AuditStats, list[RecordEvidence]]:
    summary = Summary()
    try:
        with Session(engine) as session:
            summary.users = session.exec(select(func.count()).select_from(UserRow)).one()
            keys = [_key(row) for row in all_certificates(session=session)]
            summary.keys = len(keys)
            trusted = check_user_keys(keys, ca)
            table = SignedRecordRow.__table__  # type: ignore[attr-defined]  # SQLModel sets it
            query = core_select(table).order_by(table.c.chain_kind, table.c.chain_id, table.c.seq)
            rows = session.connection().execute(query)
            records = [RecordEvidence.of(r._mapping) for r in rows]
            stats = check_signed_records(records, trusted, _recipe_hashes(session))
            summary.records, summary.chains = stats.signed, stats.by_kind
            audit_query = select(AuditRow).order_by(col(AuditRow.idx))
            audit = check_audit_rows(session.exec(audit_query.execution_options(yield_per=5000)))
            summary.audit_entries = audit.tree.size
            order = col(CheckpointRow.tree_size)
            checkpoints = session.exec(select(CheckpointRow).order_by(order)).all()
            summary.checkpoints = len(checkpoints)
            summary.latest = check_checkpoints(checkpoints, audit.tree, checkpoint_certificate, ca)
            summary.recipe_revisions, summary.batches = _check_recipes(session)
            summary.redlines = check_redlines(records, _masters(session, records))
            _check_projections(session, records)
    except SQLAlchemyError as exc:
        raise SetupProblem(f"cannot read the record store (is it migrated?): {exc}") from None
    return summary, stats, audit, records


def _check_accounts(
    engine: Engine, records: list[RecordEvidence], order: dict[str, tuple[int, str]]
) -> int:
    """Each user row against its account's signed events and its audited lockouts."""
    accounts = replay_accounts(records, order)
    lock_actions = ("account_locked", "user_unlocked")
    entries = select(AuditRow).where(AuditRow.entity == "user")
    entries = entries.where(col(AuditRow.action).in_(lock_actions)).order_by(col(AuditRow.idx))
    try:
        with Session(engine) as session:
            locks = [
                LockEntry(e.idx, e.action, e.actor, e.at, e.entity_id, e.new_value)
                for e in session.exec(entries)
            ]
            rows = [
                UserProjection(
                    u.user_id,
                    u.full_name,
                    list(u.roles),
                    u.active,
                    u.created_by,
                    u.identity_confirmed_by,
                    u.locked_at,
                    u.locked_until,
                )
                for u in session.exec(select(UserRow).order_by(col(UserRow.user_id)))
            ]
    except SQLAlchemyError as exc:
        raise SetupProblem(f"cannot read the record store (is it migrated?): {exc}") from None
    return check_user_rows(rows, accounts, locks)


def _recipe_hashes(session: Session) -> RecipeHashes:
    """What the owners of chains hold: each batch's recipe hash."""
    found: dict[tuple[str, str], str] = {}
    for batch_id, recipe_hash in session.exec(select(BatchRow.batch_id, BatchRow.recipe_hash)):
        found[(ChainKind.BATCH, batch_id)] = recipe_hash
    return found


def _check_recipes(session: Session) -> tuple[int, int]:
    """The recipes table against its audited saves and its versions' signatures, and each batch
    against the version effective at its start (``ebr.verification.recipes``)."""
    order = (col(RecipeRow.code), col(RecipeRow.version), col(RecipeRow.revision))
    rows = [
        StoredRevision(r.code, r.version, r.revision, r.content_hash, r.body)
        for r in session.exec(select(RecipeRow).order_by(*order))
    ]
    saves = select(AuditRow).where(AuditRow.action == "recipe_draft_saved")
    revisions = check_recipe_rows(rows, (_saved(entry) for entry in session.exec(saves)))
    versions = {
        code: recipe_versions(session=session, code=code) for code in {r.code for r in rows}
    }
    check_signed_contents([v for found in versions.values() for v in found], rows)
    batches = (
        BatchStart(b.batch_id, b.recipe_code, b.recipe_version, b.recipe_hash, b.created_at)
        for b in session.exec(select(BatchRow).order_by(col(BatchRow.batch_id)))
    )
    return revisions, check_batch_recipes(batches, versions)


def _check_projections(session: Session, records: list[RecordEvidence]) -> None:
    """Each batch row against its audited writes and its signed decisions."""
    actions = ("record_signed", "record_corrected", "status_changed")
    entries = select(AuditRow.idx, AuditRow.action, AuditRow.batch_id, AuditRow.new_value)
    entries = entries.where(col(AuditRow.action).in_(actions)).order_by(col(AuditRow.idx))
    states = audited_states(session.exec(entries))
    rows = (
        BatchProjection(b.batch_id, b.status, b.steps_done)
        for b in session.exec(select(BatchRow).order_by(col(BatchRow.batch_id)))
    )
    check_batch_rows(rows, states, deciders(records))


def _saved(entry: AuditRow) -> SavedRevision:
    code, _, version = entry.entity_id.rpartition("/")
    value = entry.new_value if isinstance(entry.new_value, dict) else {}
    return SavedRevision(
        idx=entry.idx,
        code=code,
        version=int(version) if version.isdigit() else 0,
        revision=int(value.get("revision", 0)),
        content_hash=str(value.get("content_hash", "")),
    )


def _masters(session: Session, records: list[RecordEvidence]) -> dict[str, Recipe]:
    """The master recipe of each batch with redlines (by its batch row's recipe hash)."""
    found: dict[str, Recipe] = {}
    for batch_id in sorted(redlined_batches(records)):
        batch = session.get(BatchRow, batch_id)
        row = get_recipe_by_hash(session=session, content_hash=batch.recipe_hash) if batch else None
        if row is None:
            raise Inconsistency(
                table="recipes",
                entry=batch_id,
                problem="the recipe version of the batch, which its redlines change, is missing",
            )
        try:
            found[batch_id] = recipe_of(row)
        except StoreError as exc:
            raise Inconsistency(table="recipes", entry=batch_id, problem=exc.message) from None
    return found


def _key(row: UserKeyRow) -> KeyEvidence:
    return KeyEvidence(
        key_id=row.key_id,
        user_id=row.user_id,
        certificate_pem=row.certificate_pem,
        valid_from=row.valid_from,
        retired_at=row.retired_at,
    )


def _hidden(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return repr(url)
