"""The reports table on both backends: one final report per batch, kept as issued, never changed."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, MetaData, inspect, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel

from ebr.store.batches import BatchRow, insert_batch
from ebr.store.db import make_engine, migrate, session_scope
from ebr.store.errors import NotFound
from ebr.store.reports import (
    ReportKind,
    ReportRow,
    final_report,
    final_report_id,
    get_report,
    insert_report,
    list_reports,
)
from tests.store.builders import T0, header
from tests.store.revisions import downgrade_to, upgrade_to

PDF = b"%PDF-1.7 first rendering"


@pytest.fixture
def batch(engine: Engine) -> str:
    with session_scope(engine) as session:
        insert_batch(session=session, header=header("b-1"), steps_total=2)
    return "b-1"


def _issue(engine: Engine, batch: str, report_id: str, kind: ReportKind, pdf: bytes = PDF) -> bool:
    with session_scope(engine) as session:
        row, created = insert_report(
            session=session,
            report_id=report_id,
            batch_id=batch,
            kind=kind,
            pdf=pdf,
            pages=3,
            requested_by="quinn",
            at=T0,
        )
        assert row.sha256 == hashlib.sha256(row.pdf).hexdigest() and row.size == len(row.pdf)
    return created


def test_a_final_report_is_stored_once_and_a_second_issue_gets_the_first(
    engine: Engine, batch: str
) -> None:
    final = final_report_id(batch)
    assert _issue(engine, batch, final, ReportKind.FINAL) is True
    assert _issue(engine, batch, final, ReportKind.FINAL, pdf=b"%PDF another rendering") is False
    with session_scope(engine) as session:
        stored = final_report(session=session, batch_id=batch)
        assert stored is not None
        assert (stored.pdf, stored.sha256) == (PDF, hashlib.sha256(PDF).hexdigest())
        assert stored.created_at == T0 and stored.kind == "final"
        assert len(list_reports(session=session, batch_id=batch)) == 1


def test_drafts_are_kept_each_under_its_own_id(engine: Engine, batch: str) -> None:
    assert _issue(engine, batch, f"{batch}/draft/wf-1/1", ReportKind.DRAFT)
    assert _issue(engine, batch, f"{batch}/draft/wf-2/1", ReportKind.DRAFT, pdf=b"%PDF 2")
    assert not _issue(engine, batch, f"{batch}/draft/wf-1/1", ReportKind.DRAFT, pdf=b"%PDF 3")
    with session_scope(engine) as session:
        infos = list_reports(session=session, batch_id=batch)
        assert [i.report_id for i in infos] == [f"{batch}/draft/wf-1/1", f"{batch}/draft/wf-2/1"]
        assert not hasattr(infos[0], "pdf")
        assert final_report(session=session, batch_id=batch) is None
        draft = get_report(session=session, report_id=f"{batch}/draft/wf-1/1")
        assert draft is not None and draft.pdf == PDF


def test_a_final_report_under_another_id_or_for_no_batch_is_refused(
    engine: Engine, batch: str
) -> None:
    with pytest.raises(ValueError, match="a final report's id is 'b-1/final'"):
        _issue(engine, batch, f"{batch}/final-2", ReportKind.FINAL)
    with pytest.raises(NotFound, match="batch 'b-9' does not exist"):
        _issue(engine, "b-9", final_report_id("b-9"), ReportKind.FINAL)


def test_sql_cannot_add_a_second_final_report(engine: Engine, batch: str) -> None:
    _issue(engine, batch, final_report_id(batch), ReportKind.FINAL)
    second = (
        "INSERT INTO reports (report_id, batch_id, kind, sha256, pages, size, created_at, "
        "requested_by, pdf) VALUES (:id, 'b-1', 'final', 'ab', 1, 1, :at, 'mallory', :pdf)"
    )
    for report_id in ("b-1/final", "b-1/final-again"):
        with pytest.raises(DBAPIError), engine.begin() as connection:
            connection.execute(text(second), {"id": report_id, "at": T0, "pdf": b"x"})
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM reports")).scalar() == 1


@pytest.mark.parametrize(
    "attack",
    [
        "UPDATE reports SET pdf = :pdf",
        "UPDATE reports SET sha256 = 'ab'",
        "DELETE FROM reports",
    ],
)
def test_sql_cannot_change_or_delete_a_report(engine: Engine, batch: str, attack: str) -> None:
    _issue(engine, batch, final_report_id(batch), ReportKind.FINAL)
    with pytest.raises(DBAPIError, match="reports is append-only"), engine.begin() as connection:
        connection.execute(text(attack), {"pdf": b"%PDF forged"} if ":pdf" in attack else {})
    with session_scope(engine) as session:
        stored = final_report(session=session, batch_id=batch)
        assert stored is not None and stored.pdf == PDF


@pytest.mark.postgres
def test_truncate_is_refused_on_postgres(postgres_engine: Engine) -> None:
    with session_scope(postgres_engine) as session:
        insert_batch(session=session, header=header("b-1"), steps_total=2)
    _issue(postgres_engine, "b-1", final_report_id("b-1"), ReportKind.FINAL)
    with pytest.raises(DBAPIError, match="reports is append-only: TRUNCATE refused"):
        with postgres_engine.begin() as connection:
            connection.execute(text("TRUNCATE reports"))


def test_created_at_comes_back_aware_utc(engine: Engine, batch: str) -> None:
    with session_scope(engine) as session:
        insert_report(
            session=session,
            report_id="b-1/draft/x",
            batch_id=batch,
            kind=ReportKind.DRAFT,
            pdf=PDF,
            pages=1,
            requested_by="aude",
            at=T0.astimezone(tz=None) + timedelta(0),
        )
    with session_scope(engine) as session:
        row = get_report(session=session, report_id="b-1/draft/x")
        assert row is not None and row.created_at == T0 and row.created_at.utcoffset() is not None


def test_migration_matches_the_table_model(engine: Engine) -> None:
    metadata = MetaData()
    for model in (BatchRow, ReportRow):
        SQLModel.metadata.tables[str(model.__tablename__)].to_metadata(metadata)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, metadata)
    assert [d for d in diffs if not _other_table(d)] == []


def _other_table(diff: object) -> bool:
    if not isinstance(diff, tuple) or diff[0] not in ("remove_table", "remove_index"):
        return False
    table = diff[1] if diff[0] == "remove_table" else diff[1].table
    return table.name not in {"batches", "reports"}


def test_downgrade_removes_the_table_and_its_guards_and_upgrade_restores_them(
    blank_url: str,
) -> None:
    """0004 down and up again (from a new database: 0005 cannot go down)."""
    upgrade_to(blank_url, "0004")
    engine = make_engine(blank_url)
    try:
        assert len(_report_guards(engine)) == 2
        downgrade_to(blank_url, "0003")
        assert "reports" not in inspect(engine).get_table_names()
        assert _report_guards(engine) == []
        migrate(blank_url)
        assert len(_report_guards(engine)) == 2
    finally:
        engine.dispose()


def _report_guards(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
        else:
            query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        names = connection.execute(text(query)).scalars()
        return sorted(name for name in names if name.startswith("ebr_reports_"))
