"""Attacks on the users table and the lockouts, with where ``ebr verify`` must point: privileges
nobody signed for (a role added, a disabled account enabled, a lockout lifted in SQL), a row
nobody enrolled, a forged unlock, and a holder's own key signing themselves QA.

The site (``tests.verification.site``): olga an operator (account:olga seq 1 by adam, seq 2 her
identity by quinn); omar given the supervisor role by adam (seq 3); ada disabled by adam (seq 3);
aude locked out until an administrator unlocks her (audited, ``Site.facts()['locked']``).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, delete, func, insert, select, update

from ebr.audit import make_entry
from ebr.domain.account_events import AccountChange, AccountEvent, account_chain, account_subject
from ebr.domain.meanings import Meaning
from ebr.domain.roles import Role
from ebr.domain.signed_records import RecordPayload, Signer
from ebr.store.audit import AuditRow
from ebr.store.keys import UserKeyRow
from ebr.store.password_history import PasswordHistoryRow
from ebr.store.users import UserRow
from tests.chains import sealed
from tests.verification.attacks import Attack, in_chain, store_forged
from tests.verification.site import NAMES, Site

__all__ = ["ACCOUNT_ATTACKS"]

USERS: Table = UserRow.__table__  # type: ignore[attr-defined]  # SQLModel sets it
AUDIT: Table = AuditRow.__table__  # type: ignore[attr-defined]
HISTORY: Table = PasswordHistoryRow.__table__  # type: ignore[attr-defined]
KEYS: Table = UserKeyRow.__table__  # type: ignore[attr-defined]


def _set_user(connection: Connection, user_id: str, **values: Any) -> None:
    connection.execute(update(USERS).where(USERS.c.user_id == user_id).values(**values))


def _qa_added(connection: Connection, site: Site) -> None:
    _set_user(connection, "olga", roles=["operator", "qa"])


def _supervisor_taken_away(connection: Connection, site: Site) -> None:
    _set_user(connection, "omar", roles=["operator"])


def _enabled_again(connection: Connection, site: Site) -> None:
    _set_user(connection, "ada", active=True)


def _unlocked(connection: Connection, site: Site) -> None:
    _set_user(connection, "aude", locked_at=None, locked_until=None, failed_attempts=0)


def _lockout_shortened(connection: Connection, site: Site) -> None:
    _set_user(connection, "aude", locked_until=datetime(2026, 1, 1, tzinfo=UTC))


def _confirmed_by_another(connection: Connection, site: Site) -> None:
    _set_user(connection, "sam", identity_confirmed_by="rita")


def _renamed(connection: Connection, site: Site) -> None:
    _set_user(connection, "olga", full_name="Olga Q. Okafor")


def _row_inserted(connection: Connection, site: Site) -> None:
    connection.execute(
        insert(USERS).values(
            user_id="eve", full_name="Eve Intruder", roles=["qa"], password_hash="x",
            active=True, must_change_password=False, created_by="adam",
            created_at=datetime.now(UTC), failed_attempts=0, identity_confirmed_by="quinn",
        )
    )  # fmt: skip


def _row_deleted(connection: Connection, site: Site) -> None:
    """ada's row gone (she never signed, so her key goes too: no record needs it)."""
    for table in (HISTORY, KEYS, USERS):
        connection.execute(delete(table).where(table.c.user_id == "ada"))


def _unlock_forged_in_the_log(connection: Connection, site: Site) -> None:
    """aude unlocked, and an unlock by adam appended to the audit log, canonical and leaf hash
    right (past the last checkpoint, which no checkpoint contradicts): no signed unlock."""
    _unlocked(connection, site)
    _append_entry(connection, event_key="forged-unlock", at=datetime.now(UTC), actor="adam",
                  station="office", action="user_unlocked", entity="user", entity_id="aude",
                  batch_id=None, old_value=None, new_value={"record_id": "account:aude/3"},
                  reason="she asked nicely")  # fmt: skip


def _promoted_with_her_own_key(connection: Connection, site: Site) -> None:
    """olga, with her own key, signs herself QA on her account's chain (the record and its audit
    entry written as the system writes them), and edits her row to match."""
    head = in_chain(connection, account_chain("olga"), 2)
    change = AccountChange(event=AccountEvent.ROLES_CHANGED, roles=(Role.OPERATOR, Role.QA))
    payload = RecordPayload(
        chain=account_chain("olga"), seq=3, prev_hash=head.record_hash,
        subject=account_subject("olga"), meaning=Meaning.APPROVED, reason="promoted myself",
        signer=Signer(user_id="olga", full_name=NAMES["olga"]), station="line-1",
        signed_at=datetime.now(UTC), detail=change.detail(),
    )  # fmt: skip
    store_forged(connection, payload, site.users["olga"])
    _append_entry(connection, event_key="account:olga/3/signed", at=payload.signed_at,
                  actor="olga", station="line-1", action="record_signed",
                  entity="signed_record", entity_id="account:olga/3", batch_id=None,
                  old_value=None, reason=payload.reason,
                  new_value={"subject": payload.subject.model_dump(mode="json"),
                             "meaning": "approved", "values": [], "comment": None,
                             "record_hash": sealed(site.users["olga"], payload).record_hash})  # fmt: skip
    _qa_added(connection, site)


def _append_entry(connection: Connection, **fields: Any) -> None:
    """An entry appended to the log as the application would (canonical, leaf hash, next idx)."""
    idx = connection.execute(select(func.max(AUDIT.c.idx))).scalar_one() + 1
    connection.execute(insert(AUDIT).values(idx=idx, **asdict(make_entry(**fields))))


ACCOUNT_ATTACKS = [
    Attack("olga: qa added to her roles", _qa_added, "users", "olga",
           "roles are operator, qa, but account:olga seq 1 (signed by adam) left operator", False),
    Attack("omar: the supervisor role taken away", _supervisor_taken_away, "users", "omar",
           "roles are operator, but account:omar seq 3 (signed by adam) left operator, "
           "supervisor", False),
    Attack("ada: enabled again", _enabled_again, "users", "ada",
           "it is active, but account:ada seq 3 (signed by adam) disabled it", False),
    Attack("aude: unlocked", _unlocked, "users", "aude",
           "it is not locked, but audit_log idx {locked} locked it until an administrator "
           "unlocks it", False),
    Attack("aude: her lockout shortened", _lockout_shortened, "users", "aude",
           "until 2026-01-01T00:00:00+00:00, but audit_log idx {locked} locked it", False),
    Attack("sam: confirmed by someone else", _confirmed_by_another, "users", "sam",
           "its holder's identity is confirmed by rita, but account:sam seq 2 (signed by quinn) "
           "confirmed it", False),
    Attack("olga: renamed", _renamed, "users", "olga",
           "its name is 'Olga Q. Okafor', but account:olga seq 1 (signed by adam) created it as "
           "'Olga Okafor'", False),
    Attack("eve: a row nobody enrolled", _row_inserted, "users", "eve",
           "no signed record created the account (account:eve has none)", False),
    Attack("ada: her row deleted", _row_deleted, "users", "ada",
           "the row is missing, but account:ada holds 3 signed records"),
    Attack("aude: an unlock forged in the log", _unlock_forged_in_the_log, "audit_log",
           "idx {latest}", "adam unlocks aude, but no signed unlock of account:aude is named",
           False),
    Attack("olga: promoted by her own key", _promoted_with_her_own_key, "signed_records",
           "account:olga/3", "the account rules refuse it: nobody signs a change to their own "
           "account (roles changed): another person must", False),
]  # fmt: skip
