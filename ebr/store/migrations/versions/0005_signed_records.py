"""Signed records of any subject: signed_records replaces step_records.

Every signed record (a batch's steps and decisions, and the records of recipe versions, lots,
equipment units and accounts) is one row of ``signed_records``, in the chain its subject joins
(``chain_kind``, ``chain_id``, ``seq``). Rows are append-only: triggers refuse UPDATE and DELETE
on both backends, and TRUNCATE on PostgreSQL (``ebr_refuse_change()`` comes from 0003).

``step_records`` held records of the unreleased payload format ``ebr.record/1``, which nothing
reads any more: a store holding any is refused here, with the way out (a new data directory),
rather than migrated into records whose signatures would no longer verify.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_str = sqlmodel.sql.sqltypes.AutoString
TABLE = "signed_records"
OLD = "step_records"


def upgrade() -> None:
    _refuse_old_records()
    _drop_old_table()
    op.create_table(
        TABLE,
        sa.Column("record_id", _str(), nullable=False),
        sa.Column("chain_kind", _str(), nullable=False),
        sa.Column("chain_id", _str(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("subject_kind", _str(), nullable=False),
        sa.Column("subject_id", _str(), nullable=False),
        sa.Column("batch_id", _str(), nullable=True),
        sa.Column("execution", sa.Integer(), nullable=False),
        sa.Column("meaning", _str(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("corrects", _str(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("recipe_hash", _str(length=64), nullable=True),
        sa.Column("user_id", _str(), nullable=False),
        sa.Column("user_name", _str(), nullable=False),
        sa.Column("station", _str(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("record_hash", _str(length=64), nullable=False),
        sa.Column("prev_hash", _str(), nullable=False),
        sa.Column("signature", _str(), nullable=False),
        sa.Column("key_id", _str(), nullable=False),
        sa.PrimaryKeyConstraint("record_id", name="pk_signed_records"),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.batch_id"], name="fk_signed_records_batch_id"
        ),
        sa.UniqueConstraint("chain_kind", "chain_id", "seq", name="uq_signed_records_chain_seq"),
    )
    op.create_index("ix_signed_records_batch_id", TABLE, ["batch_id"])
    op.create_index("ix_signed_records_subject", TABLE, ["subject_kind", "subject_id"])
    _append_only(TABLE)


def downgrade() -> None:
    raise NotImplementedError("signed records of format ebr.record/2 cannot be made format 1")


def _refuse_old_records() -> None:
    count = op.get_bind().execute(sa.text(f"SELECT count(*) FROM {OLD}")).scalar_one()
    if count:
        raise RuntimeError(
            f"this record store holds {count} signed records of the unreleased format "
            "ebr.record/1, which this version of ebr no longer reads; keep that store with the "
            "version that made it, and start this one on a new data directory (EBR_DATA_DIR) "
            "or a new database (EBR_DATABASE_URL)"
        )


def _drop_old_table() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS ebr_{OLD}_append_only ON {OLD}")
        op.execute(f"DROP TRIGGER IF EXISTS ebr_{OLD}_no_truncate ON {OLD}")
    else:
        for operation in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS ebr_{OLD}_no_{operation}")
    op.drop_index(f"ix_{OLD}_batch_id", table_name=OLD)
    op.drop_table(OLD)


def _append_only(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE TRIGGER ebr_{table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION ebr_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER ebr_{table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION ebr_refuse_change()"
        )
        return
    for operation in ("UPDATE", "DELETE"):
        op.execute(
            f"""
            CREATE TRIGGER ebr_{table}_no_{operation.lower()} BEFORE {operation} ON {table}
            BEGIN
                SELECT RAISE(ABORT, '{table} is append-only: {operation} refused');
            END
            """
        )
