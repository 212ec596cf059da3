"""The password_history table: the Argon2 hash of every password a user was given, so that an
old password is not chosen again (``ebr.accounts.password_rules``). Appended, never changed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlmodel import Field, Session, SQLModel, col, select

from ebr.store.columns import UTCDateTime, as_utc

__all__ = ["PasswordHistoryRow", "add_password", "recent_hashes"]


class PasswordHistoryRow(SQLModel, table=True):
    """One password a user was given (by themselves or an administrator), as its Argon2 hash."""

    __tablename__ = "password_history"

    entry_id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(
        sa_column_args=[ForeignKey("users.user_id", name="fk_password_history_user_id")], index=True
    )
    password_hash: str
    set_at: datetime = Field(sa_type=UTCDateTime)


def add_password(*, session: Session, user_id: str, password_hash: str, at: datetime) -> None:
    """Remember ``password_hash`` as the user's newest password (in the caller's transaction)."""
    session.add(PasswordHistoryRow(user_id=user_id, password_hash=password_hash, set_at=as_utc(at)))
    session.flush()


def recent_hashes(*, session: Session, user_id: str, count: int) -> list[str]:
    """The hashes of the user's ``count`` newest passwords, newest first."""
    if count < 1:
        return []
    query = (
        select(PasswordHistoryRow.password_hash)
        .where(PasswordHistoryRow.user_id == user_id)
        .order_by(col(PasswordHistoryRow.set_at).desc(), col(PasswordHistoryRow.entry_id).desc())
        .limit(count)
    )
    return list(session.exec(query).all())
