"""The user_keys table: each user's signing keys, wrapped under their password, with certificates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Text
from sqlmodel import Field, Session, SQLModel, col, select

from ebr.store.columns import UTCDateTime, as_utc
from ebr.store.errors import Conflict, NotFound, StoreError
from ebr.store.keyed import insert_once
from ebr.store.users import get_user

__all__ = [
    "UserKeyRow",
    "active_key",
    "add_user_key",
    "all_certificates",
    "get_key",
    "keys_of",
    "replace_wrapped",
    "retire_key",
]

# What a key is; a retried add must match these. ``wrapped`` may differ (a re-wrap, a new nonce).
_IDENTITY_FIELDS = ["user_id", "certificate_pem", "valid_from"]


class UserKeyRow(SQLModel, table=True):
    """A user's Ed25519 signing key: the private half encrypted (``wrapped``), its certificate.

    A rotated key is retired, never deleted: its certificate verifies the records it signed.
    Only ``wrapped`` (on a password change) and ``retired_at`` (once) ever change; on both
    backends triggers refuse anything else (migration 0003).
    """

    __tablename__ = "user_keys"

    key_id: str = Field(primary_key=True)
    user_id: str = Field(
        sa_column_args=[ForeignKey("users.user_id", name="fk_user_keys_user_id")], index=True
    )
    wrapped: str = Field(sa_column=Column(Text, nullable=False))
    certificate_pem: str = Field(sa_column=Column(Text, nullable=False))
    valid_from: datetime = Field(sa_type=UTCDateTime)
    retired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


def add_user_key(
    *,
    session: Session,
    key_id: str,
    user_id: str,
    wrapped: str,
    certificate_pem: str,
    valid_from: datetime,
) -> tuple[UserKeyRow, bool]:
    """Store a new key once; return ``(row, created)``.

    A retry with the same user, certificate and start returns the stored row (its ``wrapped``
    as stored); the same ``key_id`` for anything else is a Conflict; an unknown user is NotFound.
    Adding a key does not retire the user's older ones: rotation retires them explicitly.
    """
    row = UserKeyRow(
        key_id=key_id,
        user_id=user_id,
        wrapped=wrapped,
        certificate_pem=certificate_pem,
        valid_from=as_utc(valid_from),
    )
    return insert_once(
        session=session,
        row=row,
        fields=_IDENTITY_FIELDS,
        find=lambda: session.get(UserKeyRow, key_id, populate_existing=True),
        differs=lambda _, changed: Conflict(
            f"key {key_id!r} already exists with a different {', '.join(changed)}",
            {"key_id": key_id, "fields": changed},
        ),
        collides=lambda: _collision(session, key_id, user_id),
    )


def _collision(session: Session, key_id: str, user_id: str) -> StoreError:
    if get_user(session=session, user_id=user_id) is None:
        return NotFound(f"user {user_id!r} does not exist", {"user_id": user_id})
    return StoreError(f"key {key_id!r} could not be stored", {"key_id": key_id})


def get_key(*, session: Session, key_id: str) -> UserKeyRow | None:
    return session.get(UserKeyRow, key_id)


def active_key(*, session: Session, user_id: str) -> UserKeyRow | None:
    """The user's newest key (by ``valid_from``) that is not retired; None if they have none."""
    query = (
        select(UserKeyRow)
        .where(UserKeyRow.user_id == user_id, col(UserKeyRow.retired_at).is_(None))
        .order_by(col(UserKeyRow.valid_from).desc(), col(UserKeyRow.key_id).desc())
        .limit(1)
    )
    return session.exec(query).first()


def keys_of(*, session: Session, user_id: str) -> list[UserKeyRow]:
    """All the user's keys, retired ones included, oldest first."""
    query = select(UserKeyRow).where(UserKeyRow.user_id == user_id)
    query = query.order_by(col(UserKeyRow.valid_from), col(UserKeyRow.key_id))
    return list(session.exec(query).all())


def all_certificates(*, session: Session) -> list[UserKeyRow]:
    """Every key of every user, retired ones included (what offline verification needs)."""
    query = select(UserKeyRow).order_by(
        col(UserKeyRow.user_id), col(UserKeyRow.valid_from), col(UserKeyRow.key_id)
    )
    return list(session.exec(query).all())


def retire_key(*, session: Session, key_id: str, at: datetime) -> UserKeyRow:
    """Mark a key retired as of ``at``; retiring a retired key keeps its first retirement time."""
    row = _existing(session, key_id)
    if row.retired_at is None:
        row.retired_at = as_utc(at)
        session.add(row)
        session.flush()
    return row


def replace_wrapped(*, session: Session, key_id: str, wrapped: str) -> UserKeyRow:
    """Store the same private key wrapped anew (after a password change); nothing else changes."""
    row = _existing(session, key_id)
    row.wrapped = wrapped
    session.add(row)
    session.flush()
    return row


def _existing(session: Session, key_id: str) -> UserKeyRow:
    row = session.get(UserKeyRow, key_id, with_for_update=True, populate_existing=True)
    if row is None:
        raise NotFound(f"key {key_id!r} does not exist", {"key_id": key_id})
    return row
