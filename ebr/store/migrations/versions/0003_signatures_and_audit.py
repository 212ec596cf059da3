"""Signed records, the audit log and its checkpoints, user keys, account controls; append-only triggers.

Triggers on both backends refuse what evidence must never undergo: UPDATE and DELETE of
step_records, audit_log and audit_checkpoints; DELETE of users and user_keys; any UPDATE of
user_keys except re-wrapping the key and retiring it (once). On PostgreSQL TRUNCATE of all five is
refused too (SQLite has no TRUNCATE; its DELETE triggers cover ``DELETE FROM t``).
They stop mistakes and casual tampering, not an owner of the database who drops them: hashes,
signatures and the audit log's signed Merkle checkpoints are what reveal that.

SQLite keeps triggers with the table, and alembic's batch mode drops them when it rebuilds a table:
a later migration that rebuilds one of these tables must create its triggers again.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_str = sqlmodel.sql.sqltypes.AutoString
APPEND_ONLY = ("step_records", "audit_log", "audit_checkpoints")
NEVER_DELETED = ("users", "user_keys")
# What a user key keeps for ever; only wrapped and retired_at (once) may change.
KEY_IDENTITY = ("key_id", "user_id", "certificate_pem", "valid_from")
KEEPS_ROWS = "keeps every row (disable or retire instead)"


def _utc() -> sa.DateTime:
    """Stored as timestamptz on PostgreSQL, as UTC text on SQLite; see ebr.store.columns."""
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("step_records") as batch:
        batch.add_column(sa.Column("payload", sa.Text(), nullable=True))
        batch.add_column(sa.Column("record_hash", _str(length=64), nullable=True))
        batch.add_column(sa.Column("prev_hash", _str(), nullable=True))
        batch.add_column(sa.Column("signature", _str(), nullable=True))
        batch.add_column(sa.Column("key_id", _str(), nullable=True))
        batch.add_column(sa.Column("corrects", _str(), nullable=True))
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("failed_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("locked_at", _utc(), nullable=True))
        batch.add_column(sa.Column("password_changed_at", _utc(), nullable=True))
        batch.add_column(sa.Column("last_login_at", _utc(), nullable=True))
        batch.add_column(sa.Column("last_signature_at", _utc(), nullable=True))
    op.create_table(
        "audit_log",
        sa.Column("idx", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("event_key", _str(), nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("actor", _str(), nullable=False),
        sa.Column("station", _str(), nullable=False),
        sa.Column("action", _str(), nullable=False),
        sa.Column("entity", _str(), nullable=False),
        sa.Column("entity_id", _str(), nullable=False),
        sa.Column("batch_id", _str(), nullable=True),
        sa.Column("old_value", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("new_value", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("reason", _str(), nullable=True),
        sa.Column("canonical", sa.Text(), nullable=False),
        sa.Column("leaf_hash", _str(length=64), nullable=False),
        sa.PrimaryKeyConstraint("idx", name="pk_audit_log"),
        sa.UniqueConstraint("event_key", name="uq_audit_log_event_key"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_actor", "audit_log", ["actor"])
    op.create_index("ix_audit_log_batch_id", "audit_log", ["batch_id"])
    op.create_index("ix_audit_log_entity", "audit_log", ["entity", "entity_id"])
    op.create_table(
        "audit_checkpoints",
        sa.Column("tree_size", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("root_hash", _str(), nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("origin", _str(), nullable=False),
        sa.Column("key_id", _str(), nullable=False),
        sa.Column("signature", _str(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tree_size", name="pk_audit_checkpoints"),
    )
    op.create_table(
        "user_keys",
        sa.Column("key_id", _str(), nullable=False),
        sa.Column("user_id", _str(), nullable=False),
        sa.Column("wrapped", sa.Text(), nullable=False),
        sa.Column("certificate_pem", sa.Text(), nullable=False),
        sa.Column("valid_from", _utc(), nullable=False),
        sa.Column("retired_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("key_id", name="pk_user_keys"),
        sa.ForeignKeyConstraint(["user_id"], ["users.user_id"], name="fk_user_keys_user_id"),
    )
    op.create_index("ix_user_keys_user_id", "user_keys", ["user_id"])
    if op.get_bind().dialect.name == "postgresql":
        _create_postgres_triggers()
    else:
        _create_sqlite_triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _drop_postgres_triggers()
    else:
        _drop_sqlite_triggers()
    op.drop_table("user_keys")
    op.drop_table("audit_checkpoints")
    op.drop_table("audit_log")
    with op.batch_alter_table("users") as batch:
        for column in (
            "last_signature_at",
            "last_login_at",
            "password_changed_at",
            "locked_at",
            "failed_attempts",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("step_records") as batch:
        for column in ("corrects", "key_id", "signature", "prev_hash", "record_hash", "payload"):
            batch.drop_column(column)


def _create_postgres_triggers() -> None:
    op.execute(
        """
        CREATE FUNCTION ebr_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            -- The optional argument says why; without one the table is append-only.
            RAISE EXCEPTION '% %: % refused',
                TG_TABLE_NAME, coalesce(TG_ARGV[0], 'is append-only'), TG_OP;
        END;
        $$
        """
    )
    changed = " OR ".join(f"NEW.{name} IS DISTINCT FROM OLD.{name}" for name in KEY_IDENTITY)
    op.execute(
        f"""
        CREATE FUNCTION ebr_guard_user_key() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF {changed} THEN
                RAISE EXCEPTION '% may change only wrapped and retired_at: % refused',
                    TG_TABLE_NAME, TG_OP;
            END IF;
            IF OLD.retired_at IS NOT NULL AND NEW.retired_at IS DISTINCT FROM OLD.retired_at THEN
                RAISE EXCEPTION '% keeps a retired key retired: % refused', TG_TABLE_NAME, TG_OP;
            END IF;
            RETURN NEW;
        END;
        $$
        """
    )
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER ebr_{table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION ebr_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER ebr_{table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION ebr_refuse_change()"
        )
    for table in NEVER_DELETED:
        op.execute(
            f"CREATE TRIGGER ebr_{table}_no_delete BEFORE DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION ebr_refuse_change('{KEEPS_ROWS}')"
        )
        op.execute(
            f"CREATE TRIGGER ebr_{table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION ebr_refuse_change('{KEEPS_ROWS}')"
        )
    op.execute(
        "CREATE TRIGGER ebr_user_keys_guard BEFORE UPDATE ON user_keys "
        "FOR EACH ROW EXECUTE FUNCTION ebr_guard_user_key()"
    )


def _drop_postgres_triggers() -> None:
    for table in APPEND_ONLY:
        op.execute(f"DROP TRIGGER IF EXISTS ebr_{table}_append_only ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS ebr_{table}_no_truncate ON {table}")
    for table in NEVER_DELETED:
        op.execute(f"DROP TRIGGER IF EXISTS ebr_{table}_no_delete ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS ebr_{table}_no_truncate ON {table}")
    op.execute("DROP TRIGGER IF EXISTS ebr_user_keys_guard ON user_keys")
    op.execute("DROP FUNCTION IF EXISTS ebr_guard_user_key()")
    op.execute("DROP FUNCTION IF EXISTS ebr_refuse_change()")


def _create_sqlite_triggers() -> None:
    for table in APPEND_ONLY:
        for operation in ("UPDATE", "DELETE"):
            _sqlite_refusal(f"ebr_{table}_no_{operation.lower()}", table, operation)
    for table in NEVER_DELETED:
        _sqlite_refusal(f"ebr_{table}_no_delete", table, "DELETE", KEEPS_ROWS)
    changed = " OR ".join(f"NEW.{name} IS NOT OLD.{name}" for name in KEY_IDENTITY)
    op.execute(
        f"""
        CREATE TRIGGER ebr_user_keys_guard BEFORE UPDATE ON user_keys
        WHEN {changed}
        BEGIN
            SELECT RAISE(ABORT, 'user_keys may change only wrapped and retired_at: UPDATE refused');
        END
        """
    )
    op.execute(
        """
        CREATE TRIGGER ebr_user_keys_stay_retired BEFORE UPDATE ON user_keys
        WHEN OLD.retired_at IS NOT NULL AND NEW.retired_at IS NOT OLD.retired_at
        BEGIN
            SELECT RAISE(ABORT, 'user_keys keeps a retired key retired: UPDATE refused');
        END
        """
    )


def _sqlite_refusal(name: str, table: str, operation: str, why: str = "is append-only") -> None:
    op.execute(
        f"""
        CREATE TRIGGER {name} BEFORE {operation} ON {table}
        BEGIN
            SELECT RAISE(ABORT, '{table} {why}: {operation} refused');
        END
        """
    )


def _drop_sqlite_triggers() -> None:
    for table in APPEND_ONLY:
        for operation in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS ebr_{table}_no_{operation}")
    for table in NEVER_DELETED:
        op.execute(f"DROP TRIGGER IF EXISTS ebr_{table}_no_delete")
    op.execute("DROP TRIGGER IF EXISTS ebr_user_keys_guard")
    op.execute("DROP TRIGGER IF EXISTS ebr_user_keys_stay_retired")
