"""Initial schema: users, recipes, batches and step records.

Revision ID: 0001
Revises:
Create Date: 2025-01-01 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Strings are sqlmodel's AutoString (VARCHAR, unbounded on PostgreSQL) to match the table models.
_str = sqlmodel.sql.sqltypes.AutoString


def _utc() -> sa.DateTime:
    """Stored as timestamptz on PostgreSQL, as UTC text on SQLite; see ebr.store.columns."""
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("user_id", _str(), nullable=False),
        sa.Column("full_name", _str(), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("password_hash", _str(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("created_by", _str(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_users"),
    )
    op.create_table(
        "recipes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", _str(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", _str(), nullable=False),
        sa.Column("product_code", _str(), nullable=False),
        sa.Column("product_name", _str(), nullable=False),
        sa.Column("content_hash", _str(length=64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("step_count", sa.Integer(), nullable=False),
        sa.Column("loaded_by", _str(), nullable=False),
        sa.Column("loaded_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_recipes"),
        sa.UniqueConstraint("code", "version", name="uq_recipes_code_version"),
    )
    op.create_index("ix_recipes_content_hash", "recipes", ["content_hash"])
    op.create_table(
        "batches",
        sa.Column("batch_id", _str(), nullable=False),
        sa.Column("batch_number", _str(), nullable=False),
        sa.Column("recipe_code", _str(), nullable=False),
        sa.Column("recipe_version", sa.Integer(), nullable=False),
        sa.Column("recipe_hash", _str(), nullable=False),
        sa.Column("product_code", _str(), nullable=False),
        sa.Column("planned_value", _str(), nullable=False),
        sa.Column("planned_unit", _str(), nullable=False),
        sa.Column("status", _str(), nullable=False),
        sa.Column("steps_total", sa.Integer(), nullable=False),
        sa.Column("steps_done", sa.Integer(), nullable=False),
        sa.Column("created_by", _str(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("completed_at", _utc(), nullable=True),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("batch_id", name="pk_batches"),
        sa.UniqueConstraint("batch_number", name="uq_batches_batch_number"),
    )
    op.create_index("ix_batches_recipe_code", "batches", ["recipe_code"])
    op.create_index("ix_batches_status", "batches", ["status"])
    op.create_index("ix_batches_created_at", "batches", ["created_at"])
    op.create_table(
        "step_records",
        sa.Column("record_id", _str(), nullable=False),
        sa.Column("batch_id", _str(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("step_id", _str(), nullable=False),
        sa.Column("execution", sa.Integer(), nullable=False),
        sa.Column("meaning", _str(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("comment", _str(), nullable=True),
        sa.Column("user_id", _str(), nullable=False),
        sa.Column("user_name", _str(), nullable=False),
        sa.Column("station", _str(), nullable=False),
        sa.Column("recorded_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("record_id", name="pk_step_records"),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.batch_id"], name="fk_step_records_batch_id"
        ),
        sa.UniqueConstraint("batch_id", "seq", name="uq_step_records_batch_seq"),
    )
    op.create_index("ix_step_records_batch_id", "step_records", ["batch_id"])


def downgrade() -> None:
    op.drop_table("step_records")
    op.drop_table("batches")
    op.drop_table("recipes")
    op.drop_table("users")
