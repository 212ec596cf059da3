"""Signing an account's event: the rules checked, the record signed on the account's chain head
and stored with its audit entry, all in the caller's transaction, beside the change to the
user's row that it records.

Why here and not in a workflow: signing in reads the users table, and must work while Temporal
does not (sign-in and the server's shell are how people get back in); an account's events are
few and short. So they are written in one database transaction holding the account's row
(PostgreSQL ``FOR UPDATE``; SQLite's write lock), which orders them on the chain as a workflow's
single thread would: the record, its audit entry, the row and the ended sessions commit
together or not at all.
"""

from __future__ import annotations

from base64 import b64encode
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from ebr.accounts.controls import Controls
from ebr.accounts.signing import SigningKey, open_signing_key
from ebr.audit import audit_record_signed
from ebr.domain.account_events import AccountChange, AccountEvent, account_chain, account_subject
from ebr.domain.accounts import AccountState, SiteAccounts, check_event
from ebr.domain.refusals import ReasonRequired, UnknownAccount
from ebr.domain.roles import Role
from ebr.domain.signed_records import GENESIS, RecordPayload, Signer
from ebr.store.accounts import touch_signature
from ebr.store.db import session_scope
from ebr.store.signed_records import SignedEvidence, chain_head, insert_signed_record
from ebr.store.users import UserRow, get_user, list_users
from signatures.chain import record_hash
from signatures.signing import sign_payload

__all__ = ["Signatory", "open_signatory", "sign_event", "state_of"]


@dataclass(frozen=True)
class Signatory:
    """Who signs an account's event, from where, with their key open for this act alone."""

    user_id: str
    full_name: str
    station: str
    key: SigningKey


def open_signatory(
    engine: Engine,
    *,
    user_id: str,
    claimed_user_id: str | None,
    password: str,
    station: str,
    now: datetime,
    controls: Controls,
) -> Signatory:
    """The signing ceremony for an account's event (``open_signing_key``: a wrong password is
    refused, audited and counted; ``claimed_user_id``, the user id typed with the password, is
    needed for a session's first signature and must be ``user_id``). Whether the signer may sign
    this event (an administrator, confirmed) is ``sign_event``'s to say."""
    key = open_signing_key(
        engine,
        user_id=user_id,
        claimed_user_id=claimed_user_id,
        password=password,
        station=station,
        now=now,
        controls=controls,
        unconfirmed_ok=True,
    )
    with session_scope(engine) as session:
        user = get_user(session=session, user_id=user_id)
        assert user is not None  # the key opened
        return Signatory(user_id, user.full_name, station, key)


def state_of(row: UserRow) -> AccountState:
    """The account a user row says (the projection ``ebr verify`` holds to the chain)."""
    return AccountState(
        user_id=row.user_id,
        full_name=row.full_name,
        roles=tuple(Role(role) for role in row.roles),
        created_by=row.created_by,
        active=row.active,
        confirmed_by=row.identity_confirmed_by,
    )


def sign_event(
    session: Session,
    *,
    signatory: Signatory,
    user_id: str,
    change: AccountChange,
    reason: str,
    now: datetime,
) -> RecordPayload:
    """Check ``change`` to account ``user_id`` against the rules (``ebr.domain.accounts``),
    sign it as ``signatory`` on the account chain's head, and store the record and its audit
    entry in ``session``; the caller then changes the row as the record says, in the same
    transaction.

    Raises ``reason_required`` (a blank reason), ``unknown_account``, and the rules' refusals
    (``role_not_allowed``, ``identity_not_confirmed``, ``segregation_of_duties``,
    ``roles_not_combinable``, ``account_state``). Nothing is written when one is raised.
    """
    if not reason.strip():
        raise ReasonRequired(f"{change.event.label} needs a reason", {"field": "reason"})
    row = session.get(UserRow, user_id, with_for_update=True, populate_existing=True)
    account = state_of(row) if row is not None else None
    if account is None and change.event is not AccountEvent.CREATED:
        raise UnknownAccount(f"there is no account {user_id!r}", {"user_id": user_id})
    founding = change.event is AccountEvent.CREATED and signatory.user_id == user_id
    signer_row = None if founding else get_user(session=session, user_id=signatory.user_id)
    check_event(
        change,
        signer_id=signatory.user_id,
        signer=state_of(signer_row) if signer_row is not None else None,
        account=account,
        site=_site(session),
    )
    chain = account_chain(user_id)
    seq, head = chain_head(session=session, chain=chain)
    payload = RecordPayload(
        chain=chain,
        seq=seq + 1,
        prev_hash=head or GENESIS,
        subject=account_subject(user_id),
        meaning=change.event.meaning,
        reason=reason.strip(),
        signer=Signer(user_id=signatory.user_id, full_name=signatory.full_name),
        station=signatory.station,
        signed_at=now,
        detail=change.detail(),
    )
    canonical, signature = sign_payload(signatory.key.key, payload.signable())
    digest = record_hash(canonical)
    insert_signed_record(
        session=session,
        record=payload.to_record(),
        evidence=SignedEvidence(
            payload=canonical.decode("utf-8"),
            record_hash=digest,
            prev_hash=payload.prev_hash,
            signature=_b64(signature.value),
            key_id=signatory.key.key_id,
        ),
    )
    audit_record_signed(session, payload, digest)
    if not founding:
        touch_signature(session=session, user_id=signatory.user_id, at=now)
    return payload


def _site(session: Session) -> SiteAccounts:
    return SiteAccounts.of({row.user_id: state_of(row) for row in list_users(session=session)})


def _b64(value: bytes) -> str:
    return b64encode(value).decode("ascii")
