"""The signing ceremony (21 CFR 11.200): the password opens the signer's key, or the attempt is
refused, audited and counted; the first signature of a session needs both components."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from ebr.accounts.controls import Controls
from ebr.accounts.errors import SignatureRefused, SignerNotSignedIn
from ebr.accounts.refusals import refuse
from ebr.accounts.throttle import is_locked
from ebr.audit import audit
from ebr.domain.refusals import IdentityNotConfirmed
from ebr.store import accounts as store_accounts
from ebr.store.db import session_scope
from ebr.store.keys import active_key
from ebr.store.users import UserRow, get_user
from signatures.errors import WrongPassword
from signatures.keys import unwrap_key
from signatures.wrapped import WrappedKey


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
    unconfirmed_ok: bool = False,
) -> SigningKey:
    """The signing ceremony: the password opens the user's key, or the attempt is refused.

    The first signature of a continuous session (since sign-in, or after ``signing_session`` of
    inactivity) needs both components, user id and password; later ones the password alone. A
    ``claimed_user_id`` that is not ``user_id`` (the session's owner) is refused at once
    (``signer_not_signed_in``, audited, not counted toward the lockout): a session signs only as
    the person who signed in, and nothing is signed under another name.

    A person whose identity no QA or supervisor has confirmed yet signs nothing
    (``identity_not_confirmed``, audited, before any password is tried; 21 CFR 11.100(b)).
    ``unconfirmed_ok`` lets the key open anyway for what checks confirmation by its own rules
    (an account's events, ``ebr.domain.accounts``, where a site's founder signs before anyone
    could confirm them) or signs no record (a key rotation).
    """
    if claimed_user_id and claimed_user_id != user_id:
        _refuse_other_signer(
            engine, user_id=user_id, claimed=claimed_user_id, station=station, now=now
        )
    with session_scope(engine) as session:
        user = get_user(session=session, user_id=user_id)
        assert user is not None
        row = active_key(session=session, user_id=user_id)
    if is_locked(user, now=now) or not user.active:
        refuse(
            engine,
            user=user,
            user_id=user_id,
            station=station,
            now=now,
            controls=controls,
            action="signature_failed",
            counts=False,
        )
    if user.identity_confirmed_at is None and not unconfirmed_ok:
        _refuse_unconfirmed(engine, user_id=user_id, station=station, now=now)
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
        refuse(
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


def _refuse_other_signer(
    engine: Engine, *, user_id: str, claimed: str, station: str, now: datetime
) -> None:
    _audit_refused(engine, user_id=user_id, station=station, now=now,
                   reason="the signature names another user than the one signed in",
                   new_value={"claimed_user_id": claimed[:64]})  # fmt: skip
    raise SignerNotSignedIn(
        f"the signature names user {claimed[:64]!r}, but this session is {user_id!r}'s: a "
        "session signs only as the person signed in. Nothing was signed or recorded",
        {"field": "signature.user_id", "session_user_id": user_id},
    )


def _refuse_unconfirmed(engine: Engine, *, user_id: str, station: str, now: datetime) -> None:
    _audit_refused(engine, user_id=user_id, station=station, now=now,
                   reason="identity not confirmed")  # fmt: skip
    raise IdentityNotConfirmed(
        "your identity has not been confirmed yet: QA or a supervisor must confirm it (on the "
        "Accounts page) before you sign any record. Nothing was signed",
        {"user_id": user_id},
    )


def _session_lapsed(user: UserRow, *, now: datetime, controls: Controls) -> bool:
    last = user.last_signature_at
    if last is None or (user.last_login_at is not None and last < user.last_login_at):
        return True
    return now - last > controls.signing_session


def _audit_refused(
    engine: Engine,
    *,
    user_id: str,
    station: str,
    now: datetime,
    reason: str,
    new_value: dict[str, str] | None = None,
) -> None:
    """A refused signature is audited, in its own transaction, before the refusal is raised."""
    with session_scope(engine) as session:
        audit(
            session,
            event_key=f"signature_refused/{user_id}/{now.isoformat()}",
            at=now,
            actor=user_id,
            station=station,
            action="signature_refused",
            entity="user",
            entity_id=user_id,
            new_value=new_value,
            reason=reason,
        )
