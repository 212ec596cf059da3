"""Accounts under Part 11 controls: sign-in with lockout, password rules and aging, personal
signing keys that only the password opens, and the signing ceremony (21 CFR 11.100, 11.200,
11.300). Every failure is audited and counts toward the lockout; an admin unlocks with a reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from sqlmodel import Session

from ebr.account_errors import (
    AccountLocked,
    InvalidCredentials,
    PasswordRejected,
    SignatureRefused,
)
from ebr.audit import audit
from ebr.domain.errors import ReasonRequired
from ebr.domain.roles import Role
from ebr.passwords import hash_password, verify_password
from ebr.settings import Settings
from ebr.store import accounts as store_accounts
from ebr.store.db import session_scope
from ebr.store.keys import UserKeyRow, active_key, add_user_key, replace_wrapped, retire_key
from ebr.store.users import UserRow, add_user, get_user
from signatures.ca import SiteCA, certificate_pem, issue_user_certificate
from signatures.errors import WrongPassword
from signatures.keys import generate_key, public_key_id, rewrap_key, unwrap_key, wrap_key
from signatures.wrapped import WrappedKey


@dataclass(frozen=True)
class Controls:
    """The account rules in force, from the settings."""

    max_failures: int
    password_max_age: timedelta
    password_min_length: int
    signing_session: timedelta

    @classmethod
    def of(cls, settings: Settings) -> Controls:
        return cls(
            max_failures=settings.max_failed_attempts,
            password_max_age=timedelta(days=settings.password_max_age_days),
            password_min_length=settings.password_min_length,
            signing_session=timedelta(minutes=settings.signing_session_minutes),
        )


def sign_in(
    engine: Engine, *, user_id: str, password: str, station: str, now: datetime, controls: Controls
) -> UserRow:
    """The user, if the password is right and the account open; else audited and refused."""
    with session_scope(engine) as session:
        user = get_user(session=session, user_id=user_id)
        valid = verify_password(user.password_hash if user else None, password)
        if user is not None and user.locked_at is None and valid and user.active:
            user = store_accounts.record_success(session=session, user_id=user_id, at=now)
            audit(
                session,
                event_key=f"login/{user_id}/{now.isoformat()}",
                at=now,
                actor=user_id,
                station=station,
                action="login",
                entity="user",
                entity_id=user_id,
            )
            return user
    _refuse(
        engine,
        user=user,
        user_id=user_id,
        station=station,
        now=now,
        controls=controls,
        action="login_failed",
        counts=valid is False,
    )
    raise AssertionError("unreachable")  # _refuse always raises


def needs_new_password(user: UserRow, *, now: datetime, controls: Controls) -> bool:
    """True when an admin set the password, or it is older than the rules allow."""
    changed = user.password_changed_at or user.created_at
    return user.must_change_password or now - changed > controls.password_max_age


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

    The key is re-wrapped when the old password opens it; otherwise (a first password, or one an
    admin reset) a new key pair is made and certified, and the old key is retired: whoever knew
    an admin-set password never held a key that signs as this user.
    """
    user = sign_in(
        engine, user_id=user_id, password=old, station=station, now=now, controls=controls
    )
    _check_rules(user, old=old, new=new, controls=controls)
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
        return key_row


def provision_key(
    engine: Engine, ca: SiteCA, *, user_id: str, password: str, now: datetime
) -> UserKeyRow:
    """A signing key for a user whose password the user chose (demo seeding, tests)."""
    with session_scope(engine) as session:
        user = get_user(session=session, user_id=user_id)
        assert user is not None
        return _new_key(session, ca, user, password=password, now=now)


@dataclass(frozen=True)
class SigningKey:
    key: Ed25519PrivateKey
    key_id: str


def open_signing_key(
    engine: Engine,
    *,
    user_id: str,
    claimed_user_id: str | None,
    password: str,
    station: str,
    now: datetime,
    controls: Controls,
) -> SigningKey:
    """The signing ceremony: the password opens the user's key, or the attempt is refused.

    The first signature of a continuous session (since sign-in, or after ``signing_session`` of
    inactivity) needs both components, user id and password; later ones the password alone.
    """
    with session_scope(engine) as session:
        user = get_user(session=session, user_id=user_id)
        assert user is not None
        row = active_key(session=session, user_id=user_id)
    if user.locked_at is not None or not user.active:
        _refuse(
            engine,
            user=user,
            user_id=user_id,
            station=station,
            now=now,
            controls=controls,
            action="signature_failed",
            counts=False,
        )
    first = _session_lapsed(user, now=now, controls=controls)
    if first and claimed_user_id != user_id:
        raise SignatureRefused(
            "the first signature of a session needs your user id and password",
            {"field": "user_id"},
        )
    if row is None:
        raise SignatureRefused("you have no signing key yet: set your own password first")
    try:
        key = unwrap_key(WrappedKey.from_json(row.wrapped), password)
    except WrongPassword:
        _refuse(
            engine,
            user=user,
            user_id=user_id,
            station=station,
            now=now,
            controls=controls,
            action="signature_failed",
            counts=True,
        )
    if user.failed_attempts:
        with session_scope(engine) as session:
            store_accounts.clear_failures(session=session, user_id=user_id)
    # The signing session's clock (last_signature_at) is set when the signed record is stored,
    # in the same transaction (activities.signed_records): a refused action does not extend it.
    return SigningKey(key=key, key_id=row.key_id)


def unlock(
    engine: Engine, *, user_id: str, admin: str, reason: str, station: str, now: datetime
) -> UserRow:
    if not reason.strip():
        raise ReasonRequired("unlocking an account needs a reason", {"field": "reason"})
    with session_scope(engine) as session:
        user = store_accounts.unlock(session=session, user_id=user_id, at=now)
        audit(
            session,
            event_key=f"unlock/{user_id}/{now.isoformat()}",
            at=now,
            actor=admin,
            station=station,
            action="user_unlocked",
            entity="user",
            entity_id=user_id,
            reason=reason,
        )
        return user


def _refuse(
    engine: Engine,
    *,
    user: UserRow | None,
    user_id: str,
    station: str,
    now: datetime,
    controls: Controls,
    action: str,
    counts: bool,
) -> None:
    """Audit the failure in its own transaction (it must outlive the refusal), then raise."""
    with session_scope(engine) as session:
        locked_now = False
        if user is not None and counts:
            before = user.locked_at
            user = store_accounts.record_failure(
                session=session, user_id=user_id, at=now, limit=controls.max_failures
            )
            locked_now = before is None and user.locked_at is not None
        audit(
            session,
            event_key=f"{action}/{user_id}/{now.isoformat()}",
            at=now,
            actor=user_id,
            station=station,
            action=action,
            entity="user",
            entity_id=user_id,
            new_value={"failed_attempts": user.failed_attempts if user else None},
        )
        if locked_now:
            audit(
                session,
                event_key=f"locked/{user_id}/{now.isoformat()}",
                at=now,
                actor="system",
                station=station,
                action="account_locked",
                entity="user",
                entity_id=user_id,
                reason=f"{controls.max_failures} failed attempts",
            )
    if user is not None and user.locked_at is not None:
        raise AccountLocked(
            "the account is locked after too many failed attempts; an administrator must unlock it"
        )
    if action == "signature_failed":
        raise SignatureRefused(
            "the password is not correct; the signature was not applied", {"field": "password"}
        )
    raise InvalidCredentials("the user id or password is not correct, or the account is disabled")


def _session_lapsed(user: UserRow, *, now: datetime, controls: Controls) -> bool:
    last = user.last_signature_at
    if last is None or (user.last_login_at is not None and last < user.last_login_at):
        return True
    return now - last > controls.signing_session


def _check_rules(user: UserRow, *, old: str, new: str, controls: Controls) -> None:
    problems = []
    if len(new) < controls.password_min_length:
        problems.append(f"at least {controls.password_min_length} characters")
    if new == old:
        problems.append("different from the current password")
    if user.user_id.lower() in new.lower():
        problems.append("not containing the user id")
    if not (any(c.isalpha() for c in new) and any(not c.isalpha() for c in new)):
        problems.append("letters and at least one digit or symbol")
    if problems:
        raise PasswordRejected(
            f"the new password must be: {'; '.join(problems)}",
            {"field": "new_password", "rules": problems},
        )


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
    key = generate_key()
    certificate = issue_user_certificate(
        ca, user_id=user.user_id, full_name=user.full_name, public_key=key.public_key(), now=now
    )
    row, _ = add_user_key(
        session=session,
        key_id=public_key_id(key.public_key()),
        user_id=user.user_id,
        wrapped=wrap_key(key, password).to_json(),
        certificate_pem=certificate_pem(certificate),
        valid_from=now,
    )
    return row


def create_user(
    engine: Engine,
    *,
    user_id: str,
    full_name: str,
    roles: Sequence[Role],
    initial_password: str,
    admin: str,
    station: str,
    now: datetime,
) -> UserRow:
    """A new account whose password the administrator set: it must be changed at first sign-in,
    and only then does the user get a signing key. User ids are never reused."""
    with session_scope(engine) as session:
        add_user(
            session=session,
            user_id=user_id,
            full_name=full_name,
            roles=roles,
            password_hash=hash_password(initial_password),
            created_by=admin,
            at=now,
        )
        user = store_accounts.set_password(
            session=session,
            user_id=user_id,
            password_hash=hash_password(initial_password),
            at=now,
            must_change=True,
        )
        audit(
            session,
            event_key=f"user/{user_id}/created",
            at=now,
            actor=admin,
            station=station,
            action="user_created",
            entity="user",
            entity_id=user_id,
            new_value={"full_name": full_name, "roles": [r.value for r in roles]},
        )
        return user


def disable_user(
    engine: Engine, *, user_id: str, admin: str, reason: str, station: str, now: datetime
) -> UserRow:
    """Disable an account (never delete it: its signatures must keep naming a person)."""
    if not reason.strip():
        raise ReasonRequired("disabling an account needs a reason", {"field": "reason"})
    with session_scope(engine) as session:
        user = store_accounts.set_active(session=session, user_id=user_id, active=False)
        audit(
            session,
            event_key=f"user/{user_id}/disabled/{now.isoformat()}",
            at=now,
            actor=admin,
            station=station,
            action="user_disabled",
            entity="user",
            entity_id=user_id,
            old_value={"active": True},
            new_value={"active": False},
            reason=reason,
        )
        return user


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
