"""Personal signing keys (21 CFR 11.70, 11.100): made when the user sets their own password,
re-wrapped when it changes, rotated with a new certificate; old keys are retired, never lost."""

from __future__ import annotations

from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from sqlmodel import Session

from ebr.accounts.controls import Controls
from ebr.accounts.password_rules import check_not_reused, check_password
from ebr.accounts.sessions import EndReason, end_sessions
from ebr.accounts.sign_in import sign_in
from ebr.accounts.signing import open_signing_key
from ebr.audit import audit
from ebr.passwords import hash_password
from ebr.store import accounts as store_accounts
from ebr.store.db import session_scope
from ebr.store.keys import UserKeyRow, active_key, add_user_key, replace_wrapped, retire_key
from ebr.store.users import UserRow, get_user
from signatures.ca import SiteCA, certificate_pem, issue_user_certificate
from signatures.errors import WrongPassword
from signatures.keys import generate_key, public_key_id, rewrap_key, wrap_key
from signatures.wrapped import WrappedKey


def change_password(
    engine: Engine,
    ca: SiteCA,
    *,
    user_id: str,
    old: str,
    new: str,
    station: str,
    now: datetime,
    controls: Controls,
) -> UserKeyRow:
    """Set the user's own password and make their signing key open with it alone.

    The new password must meet the rules (``ebr.accounts.password_rules``) and be none of the
    user's last ``controls.password_history``. The key is re-wrapped when the old password opens
    it; otherwise (a first password, or one an admin reset) a new key pair is made and certified,
    and the old key is retired: whoever knew an admin-set password never held a key that signs as
    this user. Every session of the user ends (whoever held one signed in with the old
    password), the one that asked included.
    """
    user = sign_in(
        engine, user_id=user_id, password=old, station=station, now=now, controls=controls
    )
    check_password(user_id, new, controls=controls, old=old)
    check_not_reused(engine, user, new, controls=controls, field="new_password")
    with session_scope(engine) as session:
        store_accounts.set_password(
            session=session,
            user_id=user_id,
            password_hash=hash_password(new),
            at=now,
            must_change=False,
        )
        key_row = _rewrap_or_rotate(session, ca, user, old=old, new=new, now=now)
        audit(
            session,
            event_key=f"password/{user_id}/{now.isoformat()}",
            at=now,
            actor=user_id,
            station=station,
            action="password_changed",
            entity="user",
            entity_id=user_id,
            new_value={"key_id": key_row.key_id},
        )
        end_sessions(
            session,
            user_id=user_id,
            reason=EndReason.PASSWORD_CHANGED,
            actor=user_id,
            station=station,
            now=now,
        )
        return key_row


def provision_key(
    engine: Engine, ca: SiteCA, *, user_id: str, password: str, now: datetime
) -> UserKeyRow:
    """A signing key for a user whose password the user chose (demo seeding, tests)."""
    with session_scope(engine) as session:
        user = get_user(session=session, user_id=user_id)
        assert user is not None
        return _new_key(session, ca, user, password=password, now=now)


def rotate_key(
    engine: Engine,
    ca: SiteCA,
    *,
    user_id: str,
    password: str,
    station: str,
    now: datetime,
    controls: Controls,
) -> UserKeyRow:
    """Retire the user's signing key and certify a new one; the password must open the old key.

    The old key and its certificate stay, so records signed with it keep verifying.
    """
    old = open_signing_key(
        engine,
        user_id=user_id,
        claimed_user_id=user_id,
        password=password,
        station=station,
        now=now,
        controls=controls,
        unconfirmed_ok=True,  # a new key signs no record
    )
    with session_scope(engine) as session:
        retire_key(session=session, key_id=old.key_id, at=now)
        user = get_user(session=session, user_id=user_id)
        assert user is not None
        row = _new_key(session, ca, user, password=password, now=now)
        audit(
            session,
            event_key=f"key/{user_id}/rotated/{now.isoformat()}",
            at=now,
            actor=user_id,
            station=station,
            action="key_rotated",
            entity="user",
            entity_id=user_id,
            old_value={"key_id": old.key_id},
            new_value={"key_id": row.key_id},
        )
        return row


def _rewrap_or_rotate(
    session: Session, ca: SiteCA, user: UserRow, *, old: str, new: str, now: datetime
) -> UserKeyRow:
    current = active_key(session=session, user_id=user.user_id)
    if current is not None:
        try:
            wrapped = rewrap_key(WrappedKey.from_json(current.wrapped), old, new)
            return replace_wrapped(
                session=session, key_id=current.key_id, wrapped=wrapped.to_json()
            )
        except WrongPassword:
            retire_key(session=session, key_id=current.key_id, at=now)
    return _new_key(session, ca, user, password=new, now=now)


def _new_key(
    session: Session, ca: SiteCA, user: UserRow, *, password: str, now: datetime
) -> UserKeyRow:
    return store_key(
        session,
        ca,
        user_id=user.user_id,
        full_name=user.full_name,
        key=generate_key(),
        password=password,
        now=now,
    )


def store_key(
    session: Session,
    ca: SiteCA,
    *,
    user_id: str,
    full_name: str,
    key: Ed25519PrivateKey,
    password: str,
    now: datetime,
) -> UserKeyRow:
    """Certify ``key`` for the user from ``now`` and keep it wrapped under ``password`` (the
    user's row must exist in this transaction)."""
    certificate = issue_user_certificate(
        ca, user_id=user_id, full_name=full_name, public_key=key.public_key(), now=now
    )
    row, _ = add_user_key(
        session=session,
        key_id=public_key_id(key.public_key()),
        user_id=user_id,
        wrapped=wrap_key(key, password).to_json(),
        certificate_pem=certificate_pem(certificate),
        valid_from=now,
    )
    return row
