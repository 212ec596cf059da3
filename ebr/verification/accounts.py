"""Checking the users table against the account events it projects: roles, enabled, identity
confirmed, name, creator, and locked.

A user row decides what a person may do, so a row edited in SQL (``qa`` added to an operator's
roles, a disabled account enabled, a lockout lifted) is a privilege nobody signed for. Every
change of roles, enabling and identity is a signed record on the account's own chain
(``ebr.domain.accounts``), so each row must be what its chain, replayed in the order the audit
log recorded the records and under the same rules that allowed them, leaves it. A lockout is not
signed (the failures that cause it are the attacker's): each row's lock must be what its audited
lockouts and unlocks leave it, and each unlock must be a signed one, a lapse of a timed lockout
after its time, or the server shell's break-glass unlock (``cli:<OS user>``).

The records and the audit log are checked before this runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ebr.audit import SYSTEM
from ebr.domain.account_events import AccountChange, AccountEvent
from ebr.domain.accounts import AccountState, SiteAccounts, applied, check_event
from ebr.domain.refusals import Refusal
from ebr.domain.subjects import ChainKind
from ebr.verification.evidence import RecordEvidence
from ebr.verification.findings import Inconsistency

__all__ = ["LockEntry", "UserProjection", "check_user_rows", "replay_accounts"]

TABLE = "users"
RECORDS = "signed_records"
AUDIT = "audit_log"


@dataclass(frozen=True)
class UserProjection:
    """A users row, as read: the columns its account events and lockouts decide."""

    user_id: str
    full_name: str
    roles: list[str]
    active: bool
    created_by: str
    identity_confirmed_by: str | None
    locked_at: datetime | None
    locked_until: datetime | None


@dataclass(frozen=True)
class LockEntry:
    """An audited lockout (``account_locked``) or unlock (``user_unlocked``) of an account."""

    idx: int
    action: str
    actor: str
    at: datetime
    user_id: str
    new_value: Any


@dataclass
class Replayed:
    """An account as its chain leaves it, and which record last set each thing (for the words)."""

    state: AccountState
    records: int = 0
    by: dict[str, str] = field(default_factory=dict)
    unlocks: set[str] = field(default_factory=set)  # record ids of its signed unlocks


def replay_accounts(
    records: Iterable[RecordEvidence], order: Mapping[str, tuple[int, str]]
) -> dict[str, Replayed]:
    """Every account's chain replayed in audit log order (``order``: record id to its entry's
    idx) under the rules of ``ebr.domain.accounts``.

    Raises:
        Inconsistency: ``signed_records``, naming a record that is no account change, or one
            the rules would have refused (a signer who was not an administrator then...).
    """
    accounts = sorted(
        (r for r in records if r.chain_kind == ChainKind.ACCOUNT),
        key=lambda r: order.get(r.record_id, (0, ""))[0],
    )
    found: dict[str, Replayed] = {}
    for record in accounts:
        change = _change(record)
        user_id, signer_id = record.subject_id, record.user_id
        before = found.get(user_id)
        founding = change.event is AccountEvent.CREATED and signer_id == user_id
        signer = None if founding else found.get(signer_id)
        if signer is None and not founding:
            raise _refused(record, f"it is signed by {signer_id}, who had no account then")
        try:
            check_event(
                change,
                signer_id=signer_id,
                signer=signer.state if signer is not None else None,
                account=before.state if before is not None else None,
                site=SiteAccounts.of({k: v.state for k, v in found.items()}),
            )
        except Refusal as exc:
            raise _refused(record, f"the account rules refuse it: {exc.message}") from None
        state = applied(
            change, before.state if before else None, user_id=user_id, signer_id=signer_id
        )
        replayed = before or Replayed(state=state)
        replayed.state, replayed.records = state, replayed.records + 1
        where = f"account:{user_id} seq {record.seq} (signed by {signer_id})"
        for field_name in _SETS[change.event]:
            replayed.by[field_name] = where
        if change.event is AccountEvent.UNLOCKED:
            replayed.unlocks.add(record.record_id)
        found[user_id] = replayed
    return found


_SETS: dict[AccountEvent, tuple[str, ...]] = {
    AccountEvent.CREATED: ("created", "roles", "active"),
    AccountEvent.IDENTITY_CONFIRMED: ("confirmed",),
    AccountEvent.ROLES_CHANGED: ("roles",),
    AccountEvent.DISABLED: ("active",),
    AccountEvent.ENABLED: ("active",),
    AccountEvent.UNLOCKED: (),
    AccountEvent.PASSWORD_RESET: (),
}


def check_user_rows(
    rows: Iterable[UserProjection],
    accounts: Mapping[str, Replayed],
    locks: Iterable[LockEntry],
) -> int:
    """Each row is what its account's chain and audited lockouts leave it; every chain has its
    row. Returns how many rows were proven.

    Raises:
        Inconsistency: ``users`` naming the row and the difference (or ``audit_log`` naming an
            unlock nobody was allowed to make).
    """
    locked = _audited_locks(locks, accounts)
    seen: set[str] = set()
    for row in rows:
        seen.add(row.user_id)
        account = accounts.get(row.user_id)
        if account is None:
            raise _row(
                row, f"no signed record created the account (account:{row.user_id} has none)"
            )
        _check_account(row, account)
        _check_lock(row, locked.get(row.user_id))
    missing = sorted(set(accounts) - seen)
    if missing:
        user_id = missing[0]
        raise Inconsistency(
            table=TABLE,
            entry=user_id,
            problem=f"the row is missing, but account:{user_id} holds "
            f"{accounts[user_id].records} signed records",
        )
    return len(seen)


def _check_account(row: UserProjection, account: Replayed) -> None:
    state, by = account.state, account.by
    if sorted(row.roles) != sorted(r.value for r in state.roles):
        raise _row(
            row,
            f"roles are {_listed(row.roles)}, but {by['roles']} left "
            f"{_listed(r.value for r in state.roles)}",
        )
    if row.active != state.active:
        did = "left it active" if state.active else "disabled it"
        raise _row(row, f"it is {'active' if row.active else 'disabled'}, but {by['active']} {did}")
    if row.identity_confirmed_by != state.confirmed_by:
        says = (
            f"confirmed by {row.identity_confirmed_by}"
            if row.identity_confirmed_by
            else "not confirmed"
        )
        chain = f"{by['confirmed']} confirmed it" if "confirmed" in by else "no signed record did"
        raise _row(row, f"its holder's identity is {says}, but {chain}")
    if row.full_name != state.full_name:
        raise _row(
            row,
            f"its name is {row.full_name!r}, but {by['created']} created it as {state.full_name!r}",
        )
    if row.created_by != state.created_by:
        raise _row(
            row, f"it was created by {row.created_by}, says the row, but {by['created']} created it"
        )


@dataclass(frozen=True)
class _Lock:
    idx: int
    at: datetime
    until: datetime | None


def _audited_locks(
    entries: Iterable[LockEntry], accounts: Mapping[str, Replayed]
) -> dict[str, _Lock | None]:
    """Each account's lock as its audited lockouts and unlocks leave it; an unlock must be
    signed, the end of a timed lockout's time, or the shell's break-glass."""
    locks: dict[str, _Lock | None] = {}
    for entry in entries:
        if entry.action == "account_locked":
            value = entry.new_value if isinstance(entry.new_value, dict) else {}
            until = value.get("locked_until")
            locks[entry.user_id] = _Lock(
                entry.idx, entry.at, datetime.fromisoformat(until) if until else None
            )
            continue
        current = locks.get(entry.user_id)
        if entry.actor == SYSTEM:
            if current is None or current.until is None or current.until > entry.at:
                raise Inconsistency(
                    table=AUDIT,
                    entry=f"idx {entry.idx}",
                    problem=f"the system lifts a lockout of {entry.user_id} whose time was not "
                    "over (or that an administrator must lift)",
                )
        elif not entry.actor.startswith("cli:"):
            value = entry.new_value if isinstance(entry.new_value, dict) else {}
            account = accounts.get(entry.user_id)
            if account is None or value.get("record_id") not in account.unlocks:
                raise Inconsistency(
                    table=AUDIT,
                    entry=f"idx {entry.idx}",
                    problem=f"{entry.actor} unlocks {entry.user_id}, but no signed unlock of "
                    f"account:{entry.user_id} is named",
                )
        locks[entry.user_id] = None
    return locks


def _check_lock(row: UserProjection, lock: _Lock | None) -> None:
    if lock is None:
        if row.locked_at is not None:
            raise _row(row, "it is locked, but no audited lockout leaves it locked")
        return
    until = lock.until.isoformat() if lock.until else "an administrator unlocks it"
    if row.locked_at is None:
        raise _row(row, f"it is not locked, but audit_log idx {lock.idx} locked it until {until}")
    if row.locked_at != lock.at or row.locked_until != lock.until:
        shown = row.locked_until.isoformat() if row.locked_until else "an administrator unlocks it"
        raise _row(
            row,
            f"it is locked since {row.locked_at.isoformat()} until {shown}, but audit_log idx "
            f"{lock.idx} locked it at {lock.at.isoformat()} until {until}",
        )


def _change(record: RecordEvidence) -> AccountChange:
    try:
        change = AccountChange.of_detail(record.detail)
    except ValueError as exc:
        raise _refused(record, str(exc)) from None
    if record.meaning != change.event.meaning.value:
        raise _refused(
            record,
            f"a {change.event.label} is signed as {change.event.meaning.value}, "
            f"not {record.meaning}",
        )
    return change


def _refused(record: RecordEvidence, problem: str) -> Inconsistency:
    return Inconsistency(table=RECORDS, entry=record.record_id, problem=problem)


def _row(row: UserProjection, problem: str) -> Inconsistency:
    return Inconsistency(table=TABLE, entry=row.user_id, problem=problem)


def _listed(roles: Iterable[str]) -> str:
    return ", ".join(roles) or "none"
