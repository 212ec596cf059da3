"""Recipes under change control: each saved draft of a version is a revision, kept for ever.

A recipe version is written as a draft and may be changed until it is submitted for review, or
again after it is sent back; each content saved is a new row (``revision`` 1, 2, ...), unique by
(code, version, revision) and by (code, version, content_hash). What a version's signatures
(``signed_records``, chain ``recipe-version``) name is a content hash, so every body ever signed
stays readable. Rows are append-only: triggers refuse UPDATE and DELETE on both backends, and
TRUNCATE on PostgreSQL.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 00:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "recipes"


def upgrade() -> None:
    with op.batch_alter_table(TABLE) as batch:
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
        batch.drop_constraint("uq_recipes_code_version", type_="unique")
        batch.create_unique_constraint(
            "uq_recipes_code_version_revision", ["code", "version", "revision"]
        )
        batch.create_unique_constraint(
            "uq_recipes_code_version_content", ["code", "version", "content_hash"]
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE TRIGGER ebr_{TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION ebr_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER ebr_{TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION ebr_refuse_change()"
        )
        return
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
    with op.batch_alter_table(TABLE) as batch:
        batch.drop_constraint("uq_recipes_code_version_content", type_="unique")
        batch.drop_constraint("uq_recipes_code_version_revision", type_="unique")
        batch.create_unique_constraint("uq_recipes_code_version", ["code", "version"])
        batch.drop_column("revision")
