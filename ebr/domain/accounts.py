"""Accounts as their signed events leave them: who may create, confirm and change an account.

Every change to who a person is in ebr (created with roles, identity confirmed, roles changed,
disabled, enabled, unlocked, password reset) is a signed record on the account's own chain
(subject kind ``account``, id the user id), whose ``detail`` is the ``AccountChange``. The rules
here are pure and shared: the account controls check them before signing (``ebr.accounts``) and
``ebr verify`` replays them over the chains to recompute every user row.

The rules (21 CFR 11.10(g), 11.100(b), 11.300):

- only an active administrator whose identity is confirmed signs an administrator's act, never
  on their own account; an administrator holds no GMP role (``check_roles``);
- a person's identity is confirmed by a second person, an active, confirmed QA or supervisor who
  neither is the person nor created the account; until then the account signs nothing;
- **founding**: the very first account of a site is an administrator who signs their own
  creation (on the server's shell), and, while the site has no confirmed QA or supervisor, that
  founding administrator signs unconfirmed and may confirm the identity of a QA or supervisor;
  that person then confirms the founder's. It is the one way a site starts, and it ends with the
  first confirmed QA or supervisor.

The events and the change a record carries are ``ebr.domain.account_events``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from ebr.domain.account_events import AccountChange, AccountEvent
from ebr.domain.refusals import (
    AccountStateError,
    IdentityNotConfirmed,
    RoleNotAllowed,
    RolesNotCombinable,
    SegregationOfDuties,
)
from ebr.domain.roles import GMP_ROLES, Role

__all__ = [
    "CONFIRMING_ROLES",
    "AccountChange",
    "AccountEvent",
    "AccountState",
    "SiteAccounts",
    "applied",
    "check_event",
    "check_roles",
]

CONFIRMING_ROLES: frozenset[Role] = frozenset({Role.QA, Role.SUPERVISOR})
"""Who confirms a person's identity before their first signature."""


class AccountState(BaseModel):
    """An account as its signed records leave it (the lock is the audit log's: a lockout is not
    signed, ``ebr.accounts.throttle``)."""

    model_config = ConfigDict(frozen=True)

    user_id: str
    full_name: str
    roles: tuple[Role, ...]
    created_by: str
    active: bool = True
    confirmed_by: str | None = None

    @property
    def founder(self) -> bool:
        """The site's founding administrator: the one account that signed its own creation."""
        return self.created_by == self.user_id

    @property
    def confirmed(self) -> bool:
        return self.confirmed_by is not None

    def holds(self, roles: Iterable[Role]) -> bool:
        return bool(set(roles) & set(self.roles))


@dataclass(frozen=True)
class SiteAccounts:
    """What the rules need of the site's other accounts."""

    empty: bool  # no account exists yet: the next one founds the site
    confirmed_reviewer: bool  # an active QA or supervisor whose identity is confirmed exists

    @classmethod
    def of(cls, accounts: Mapping[str, AccountState]) -> SiteAccounts:
        return cls(
            empty=not accounts,
            confirmed_reviewer=any(
                a.active and a.confirmed and a.holds(CONFIRMING_ROLES) for a in accounts.values()
            ),
        )


def check_roles(roles: Iterable[Role]) -> tuple[Role, ...]:
    """The roles in a fixed order, once each; refused when empty or when ``admin`` comes with a
    GMP role (an administrator grants roles, and so takes no GMP decision)."""
    held = tuple(role for role in Role if role in set(roles))
    if not held:
        raise RolesNotCombinable("an account needs at least one role", {"field": "roles"})
    gmp = [role.value for role in held if role in GMP_ROLES]
    if Role.ADMIN in held and gmp:
        raise RolesNotCombinable(
            f"an administrator holds no GMP role: admin cannot be combined with "
            f"{', '.join(gmp)}; give these roles to another account",
            {"field": "roles", "roles": [r.value for r in held]},
        )
    return held


def check_event(
    change: AccountChange,
    *,
    signer_id: str,
    signer: AccountState | None,
    account: AccountState | None,
    site: SiteAccounts,
) -> None:
    """Refuse ``change`` on ``account`` (None: not created yet) signed by ``signer_id``
    (``signer`` its state; None for a founding creation, which signs itself), saying why."""
    event = change.event
    if event is AccountEvent.CREATED:
        _check_creation(change, signer_id=signer_id, signer=signer, account=account, site=site)
        return
    if account is None:
        raise AccountStateError("there is no such account to change")
    if signer is None or signer_id == account.user_id:
        raise SegregationOfDuties(
            f"nobody signs a change to their own account ({event.label}): another person must",
            {"user_id": account.user_id},
        )
    if event is AccountEvent.IDENTITY_CONFIRMED:
        _check_confirmation(signer, account, site)
        return
    _check_administrator(signer, site)
    if event is AccountEvent.ROLES_CHANGED:
        roles = check_roles(change.roles or ())
        if roles == account.roles:
            raise AccountStateError(
                f"{account.user_id} already holds exactly these roles", {"roles": list(roles)}
            )
    elif event is AccountEvent.DISABLED and not account.active:
        raise AccountStateError(f"the account {account.user_id} is disabled already")
    elif event is AccountEvent.ENABLED and account.active:
        raise AccountStateError(f"the account {account.user_id} is not disabled")
    elif event is AccountEvent.PASSWORD_RESET and not account.active:
        raise AccountStateError(
            f"the account {account.user_id} is disabled: enable it before resetting its password"
        )


def applied(
    change: AccountChange, account: AccountState | None, *, user_id: str, signer_id: str
) -> AccountState:
    """Account ``user_id`` as ``change`` (already checked) leaves it."""
    if change.event is AccountEvent.CREATED:
        return AccountState(
            user_id=user_id,
            full_name=change.full_name or "",
            roles=check_roles(change.roles or ()),
            created_by=signer_id,
        )
    assert account is not None
    update: dict[str, Any] = {}
    if change.event is AccountEvent.IDENTITY_CONFIRMED:
        update["confirmed_by"] = signer_id
    elif change.event is AccountEvent.ROLES_CHANGED:
        update["roles"] = check_roles(change.roles or ())
    elif change.event in (AccountEvent.DISABLED, AccountEvent.ENABLED):
        update["active"] = change.event is AccountEvent.ENABLED
    return account.model_copy(update=update)


def _check_creation(
    change: AccountChange,
    *,
    signer_id: str,
    signer: AccountState | None,
    account: AccountState | None,
    site: SiteAccounts,
) -> None:
    roles = check_roles(change.roles or ())
    if account is not None:
        raise AccountStateError(
            f"user id {account.user_id!r} is already taken (user ids are never reused)",
            {"user_id": account.user_id},
        )
    if signer is None:  # the account signs its own creation: it founds the site
        if not site.empty:
            raise SegregationOfDuties(
                "only the first account of a site signs its own creation; an administrator "
                "creates every other",
            )
        if roles != (Role.ADMIN,):
            raise RolesNotCombinable(
                "the first account of a site is its administrator, holding the admin role alone",
                {"field": "roles"},
            )
        return
    _check_administrator(signer, site)


def _check_administrator(signer: AccountState, site: SiteAccounts) -> None:
    if Role.ADMIN not in signer.roles or not signer.active:
        raise RoleNotAllowed(
            "only an active administrator signs this", {"required_roles": [Role.ADMIN.value]}
        )
    if not signer.confirmed and not (signer.founder and not site.confirmed_reviewer):
        raise IdentityNotConfirmed(
            f"{signer.user_id}'s identity has not been confirmed by QA or a supervisor yet: "
            "nothing is signed before it is"
        )


def _check_confirmation(signer: AccountState, account: AccountState, site: SiteAccounts) -> None:
    if account.confirmed:
        raise AccountStateError(
            f"the identity of {account.user_id} was confirmed already, by {account.confirmed_by}"
        )
    if not account.active:
        raise AccountStateError(f"the account {account.user_id} is disabled")
    founding = (
        signer.founder
        and signer.active
        and not site.confirmed_reviewer
        and account.holds(CONFIRMING_ROLES)
    )
    if founding:
        return
    if signer.user_id == account.created_by:
        raise SegregationOfDuties(
            "the administrator who created an account does not confirm its holder's identity: "
            "QA or a supervisor must",
            {"user_id": account.user_id, "created_by": account.created_by},
        )
    if not signer.holds(CONFIRMING_ROLES) or not signer.active:
        raise RoleNotAllowed(
            "only QA or a supervisor confirms a person's identity",
            {"required_roles": sorted(r.value for r in CONFIRMING_ROLES)},
        )
    if not signer.confirmed:
        raise IdentityNotConfirmed(
            f"{signer.user_id}'s own identity has not been confirmed yet: nothing is signed "
            "before it is"
        )
