"""Enrolling a person (21 CFR 11.100): the site's first administrator founds it on the server's
shell (``found_site``); an administrator creates every other account with its roles
(``create_user``); QA or a supervisor confirms the person's identity (``confirm_identity``), and
only then does the account sign. Each is a signature on the account's own chain
(``ebr.accounts.events``); who may sign which is ``ebr.domain.accounts``'s to say."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from ebr.accounts.admin import audit_act
from ebr.accounts.controls import Controls
from ebr.accounts.events import Signatory, sign_event
from ebr.accounts.keys import store_key
from ebr.accounts.password_rules import check_password
from ebr.accounts.signing import SigningKey
from ebr.domain.account_events import AccountChange, AccountEvent
from ebr.domain.accounts import check_roles
from ebr.domain.roles import Role
from ebr.passwords import hash_password
from ebr.store import accounts as store_accounts
from ebr.store.db import session_scope
from ebr.store.users import UserRow, add_user
from signatures.ca import SiteCA
from signatures.keys import generate_key, public_key_id

__all__ = ["confirm_identity", "create_account", "create_user", "found_site"]


def found_site(
    engine: Engine,
    ca: SiteCA,
    *,
    user_id: str,
    full_name: str,
    password: str,
    station: str,
    reason: str,
    now: datetime,
    controls: Controls,
) -> Signatory:
    """The site's first account, its administrator, enrolled on the server's shell: the person
    chooses their own password there (it meets the password rules), which wraps their new
    signing key at once, and signs their own creation with it (the one self-signed creation
    ``ebr.domain.accounts`` allows, on a site with no account yet). Until a QA or supervisor's
    identity is confirmed, this founder signs account events unconfirmed, and may confirm that
    first QA or supervisor, who then confirms the founder. Returns the founder, key open."""
    check_password(user_id, password, controls=controls, field="password")
    key = generate_key()
    founder = Signatory(
        user_id, full_name, station, SigningKey(key=key, key_id=public_key_id(key.public_key()))
    )
    change = AccountChange(event=AccountEvent.CREATED, full_name=full_name, roles=(Role.ADMIN,))
    password_hash = hash_password(password)
    with session_scope(engine) as session:
        payload = sign_event(
            session, signatory=founder, user_id=user_id, change=change, reason=reason, now=now
        )
        add_user(
            session=session,
            user_id=user_id,
            full_name=full_name,
            roles=(Role.ADMIN,),
            password_hash=password_hash,
            created_by=user_id,
            at=now,
        )
        store_accounts.set_password(
            session=session, user_id=user_id, password_hash=password_hash, at=now, must_change=False
        )
        store_key(
            session, ca, user_id=user_id, full_name=full_name, key=key, password=password, now=now
        )
        audit_act(
            session,
            payload.record_id(),
            founder,
            user_id,
            "user_created",
            now,
            reason,
            new_value={"full_name": full_name, "roles": [Role.ADMIN.value], "founding": True},
        )
    return founder


def create_user(
    engine: Engine,
    *,
    signatory: Signatory,
    user_id: str,
    full_name: str,
    roles: Sequence[Role],
    initial_password: str,
    reason: str,
    now: datetime,
    controls: Controls,
) -> UserRow:
    """A new account, signed by an administrator: its password (the administrator's choice, which
    meets the password rules: ``password_rejected``, field ``initial_password``) must be changed
    at first sign-in, and only then does the user get a signing key; until QA or a supervisor
    confirms the person's identity (``confirm_identity``), the account signs nothing."""
    check_roles(roles)
    check_password(user_id, initial_password, controls=controls, field="initial_password")
    password_hash = hash_password(initial_password)
    with session_scope(engine) as session:
        return create_account(
            session,
            signatory=signatory,
            user_id=user_id,
            full_name=full_name,
            roles=roles,
            password_hash=password_hash,
            must_change=True,
            reason=reason,
            now=now,
        )


def create_account(
    session: Session,
    *,
    signatory: Signatory,
    user_id: str,
    full_name: str,
    roles: Sequence[Role],
    password_hash: str,
    must_change: bool,
    reason: str,
    now: datetime,
) -> UserRow:
    """In the caller's transaction: the signed creation, the row and its audit entry (for
    ``create_user`` and seeding; the site's first account is ``found_site``'s)."""
    held = check_roles(roles)
    change = AccountChange(event=AccountEvent.CREATED, full_name=full_name, roles=held)
    payload = sign_event(
        session, signatory=signatory, user_id=user_id, change=change, reason=reason, now=now
    )
    add_user(
        session=session,
        user_id=user_id,
        full_name=full_name,
        roles=held,
        password_hash=password_hash,
        created_by=signatory.user_id,
        at=now,
    )
    user = store_accounts.set_password(
        session=session,
        user_id=user_id,
        password_hash=password_hash,
        at=now,
        must_change=must_change,
    )
    audit_act(
        session,
        payload.record_id(),
        signatory,
        user_id,
        "user_created",
        now,
        reason,
        new_value={"full_name": full_name, "roles": list(user.roles)},
    )
    return user


def confirm_identity(
    engine: Engine, *, signatory: Signatory, user_id: str, reason: str, now: datetime
) -> UserRow:
    """QA or a supervisor confirms, with a signature, that the holder of account ``user_id`` is
    the person it names (``reason``: how, say "passport checked in person, HR file 1182"): from
    now the account may sign. Refused for the person themselves, the administrator who created
    the account, anyone else but a confirmed QA or supervisor (``ebr.domain.accounts``; the
    site's founder is the one exception), and an account confirmed already."""
    change = AccountChange(event=AccountEvent.IDENTITY_CONFIRMED)
    with session_scope(engine) as session:
        payload = sign_event(
            session, signatory=signatory, user_id=user_id, change=change, reason=reason, now=now
        )
        user = store_accounts.set_identity_confirmed(
            session=session, user_id=user_id, by=signatory.user_id, at=now
        )
        audit_act(
            session,
            payload.record_id(),
            signatory,
            user_id,
            "identity_confirmed",
            now,
            reason,
            new_value={"identity_confirmed_by": signatory.user_id},
        )
        return user
