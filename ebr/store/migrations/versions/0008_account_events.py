"""Accounts under signed events: ``users`` gains whose signed confirmation of the person's identity
lets the account sign, and when (21 CFR 11.100(b)). The account's events themselves (creation,
identity confirmed, roles changed, disabled, enabled, unlocked, password reset) are signed records
of its own chain in ``signed_records``, which needs no change.

The columns are added with plain ALTER TABLE (no batch rebuild), so the triggers of migration 0003
on ``users`` stay in place on SQLite.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-09 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("identity_confirmed_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    )
    op.add_column("users", sa.Column("identity_confirmed_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("identity_confirmed_at")
        batch.drop_column("identity_confirmed_by")
