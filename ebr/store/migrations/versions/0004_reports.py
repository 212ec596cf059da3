"""Issued batch reports: the signed PDF of each final report (once per batch) and of each draft.

A final report's id is ``<batch_id>/final`` (a CHECK constraint says so), so the primary key lets
a batch have one final report and no more. Rows are evidence: triggers refuse UPDATE and DELETE
on both backends, and TRUNCATE on PostgreSQL, as migration 0003 does for the record itself (it
made ``ebr_refuse_change()``, used here).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_str = sqlmodel.sql.sqltypes.AutoString
TABLE = "reports"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("report_id", _str(), nullable=False),
        sa.Column("batch_id", _str(), nullable=False),
        sa.Column("kind", _str(), nullable=False),
        sa.Column("sha256", _str(length=64), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by", _str(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("report_id", name="pk_reports"),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.batch_id"], name="fk_reports_batch_id"),
        sa.CheckConstraint("kind IN ('final', 'draft')", name="ck_reports_kind"),
        sa.CheckConstraint(
            "kind <> 'final' OR report_id = batch_id || '/final'", name="ck_reports_one_final"
        ),
    )
    op.create_index("ix_reports_batch_id", TABLE, ["batch_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE TRIGGER ebr_{TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION ebr_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER ebr_{TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION ebr_refuse_change()"
        )
    else:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"""
                CREATE TRIGGER ebr_{TABLE}_no_{operation.lower()} BEFORE {operation} ON {TABLE}
                BEGIN
                    SELECT RAISE(ABORT, '{TABLE} is append-only: {operation} refused');
                END
                """
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS ebr_{TABLE}_append_only ON {TABLE}")
        op.execute(f"DROP TRIGGER IF EXISTS ebr_{TABLE}_no_truncate ON {TABLE}")
    else:
        for operation in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS ebr_{TABLE}_no_{operation}")
    op.drop_index("ix_reports_batch_id", table_name=TABLE)
    op.drop_table(TABLE)
