"""Sessions that end, throttled sign-ins with timed lockouts, alerts, and password history.

``sessions``: one row per sign-in, named by every token and cookie, ended by logout, password
change, disabling, a role change, a lockout or an idle lapse. ``throttle_sources``: failed
sign-ins per network address. ``users`` gains ``locked_until`` (a timed lockout's end) and
``throttled_until`` (no password tried before it). ``alerts`` (lockouts, for administrators and
QA) and ``password_history`` (Argon2 hashes of every password given, starting with each user's
current one) are append-only: triggers
refuse UPDATE and DELETE on both backends, and TRUNCATE on PostgreSQL.

The users columns are added with plain ALTER TABLE (no batch rebuild), so the triggers of
migration 0003 on ``users`` stay in place on SQLite.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_str = sqlmodel.sql.sqltypes.AutoString
APPEND_ONLY = ("alerts", "password_history")


def _utc() -> sa.DateTime:
    """Stored as timestamptz on PostgreSQL, as UTC text on SQLite; see ebr.store.columns."""
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("users", sa.Column("locked_until", _utc(), nullable=True))
    op.add_column("users", sa.Column("throttled_until", _utc(), nullable=True))
    op.create_table(
        "sessions",
        sa.Column("session_id", _str(length=64), nullable=False),
        sa.Column("user_id", _str(), nullable=False),
        sa.Column("station", _str(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("last_seen_at", _utc(), nullable=False),
        sa.Column("ended_at", _utc(), nullable=True),
        sa.Column("end_reason", _str(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.user_id"], name="fk_sessions_user_id"),
        sa.PrimaryKeyConstraint("session_id"),
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"])
    op.create_table(
        "throttle_sources",
        sa.Column("address", _str(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", _utc(), nullable=True),
        sa.Column("throttled_until", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("address"),
    )
    op.create_table(
        "alerts",
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("kind", _str(), nullable=False),
        sa.Column("user_id", _str(), nullable=False),
        sa.Column("raised_at", _utc(), nullable=False),
        sa.Column("message", _str(), nullable=False),
        sa.Column("detail", sa.JSON(none_as_null=True), nullable=True),
        sa.PrimaryKeyConstraint("alert_id"),
    )
    op.create_index("ix_alerts_user_id", "alerts", ["user_id"])
    op.create_index("ix_alerts_raised_at", "alerts", ["raised_at"])
    op.create_table(
        "password_history",
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("user_id", _str(), nullable=False),
        sa.Column("password_hash", _str(), nullable=False),
        sa.Column("set_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.user_id"], name="fk_password_history_user_id"
        ),
        sa.PrimaryKeyConstraint("entry_id"),
    )
    op.create_index("ix_password_history_user_id", "password_history", ["user_id"])
    # Every user's current password starts their history (it is always in it from now on).
    op.execute(
        "INSERT INTO password_history (user_id, password_hash, set_at) "
        "SELECT user_id, password_hash, coalesce(password_changed_at, created_at) FROM users"
    )
    for table in APPEND_ONLY:
        _append_only(table)


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


def downgrade() -> None:
    for table in ("password_history", "alerts", "throttle_sources", "sessions"):
        op.drop_table(table)  # drops its indexes and triggers with it
    with op.batch_alter_table("users") as batch:
        batch.drop_column("throttled_until")
        batch.drop_column("locked_until")
