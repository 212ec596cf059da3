"""The users table: who may sign in, with which roles; users are disabled, never deleted. A user's
password joins their password history when the account is made, as every later one does."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import JSON
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from ebr.domain.roles import Role
from ebr.store.columns import UTCDateTime, as_utc
from ebr.store.errors import AlreadyExists, StoreError
from ebr.store.password_history import add_password

__all__ = ["UserRow", "add_user", "get_user", "list_users", "roles_of"]


class UserRow(SQLModel, table=True):
    """One person's account. ``user_id`` is never reused, so old signatures keep naming them."""

    __tablename__ = "users"

    user_id: str = Field(primary_key=True)
    full_name: str
    roles: list[str] = Field(sa_type=JSON)
    password_hash: str
    active: bool = True
    must_change_password: bool = False
    created_by: str
    created_at: datetime = Field(sa_type=UTCDateTime)
    # Account controls (ebr.store.accounts); the defaults suit a new account.
    failed_attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    locked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When a timed lockout ends (None with locked_at set: until an administrator unlocks it).
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # No password is tried for this account before this time (ebr.accounts.throttle).
    throttled_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    password_changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_signature_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Whose signed confirmation of the person's identity lets the account sign (21 CFR
    # 11.100(b)); None until then (ebr.domain.accounts).
    identity_confirmed_by: str | None = None
    identity_confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


def add_user(
    *,
    session: Session,
    user_id: str,
    full_name: str,
    roles: Sequence[Role],
    password_hash: str,
    created_by: str,
    at: datetime,
) -> UserRow:
    """Create a user; raise AlreadyExists if ``user_id`` was ever used (even by a disabled user)."""
    if session.get(UserRow, user_id) is not None:
        raise AlreadyExists(f"user id {user_id!r} is already taken", {"user_id": user_id})
    row = UserRow(
        user_id=user_id,
        full_name=full_name,
        roles=[Role(role).value for role in roles],
        password_hash=password_hash,
        created_by=created_by,
        created_at=as_utc(at),
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise AlreadyExists(f"user id {user_id!r} is already taken", {"user_id": user_id}) from None
    add_password(session=session, user_id=user_id, password_hash=password_hash, at=at)
    return row


def get_user(*, session: Session, user_id: str) -> UserRow | None:
    return session.get(UserRow, user_id)


def list_users(*, session: Session) -> list[UserRow]:
    """Every user, disabled ones included, ordered by user id."""
    return list(session.exec(select(UserRow).order_by(col(UserRow.user_id))).all())


def roles_of(user: UserRow) -> tuple[Role, ...]:
    """The user's roles as Role values; an unknown stored role is a damaged row, not a guess."""
    try:
        return tuple(Role(role) for role in user.roles)
    except ValueError as exc:
        raise StoreError(f"user {user.user_id!r} has an unknown role stored: {exc}") from exc
