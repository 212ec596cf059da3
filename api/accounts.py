"""Signed acts on accounts, for the JSON routes and the pages alike: each action's request, the
account event it signs, and what it does (``ebr.accounts``). The signer's password opens their
key for this act alone; the act is signed on the account's chain and applied in one transaction.
Checked before any password is tried: the signature's meaning is the act's, a reason is given,
and the roles granted and an initial password meet their rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi.concurrency import run_in_threadpool

from api.account_schemas import (
    AccountAct,
    IdentityConfirmation,
    PasswordReset,
    RolesChange,
    UserCreate,
)
from api.context import ApiContext
from api.refusals import UnknownAction, WrongMeaning
from ebr.accounts import (
    Controls,
    Signatory,
    change_roles,
    confirm_identity,
    create_user,
    disable_user,
    enable_user,
    open_signatory,
    reset_password,
    unlock,
)
from ebr.accounts.password_rules import check_password
from ebr.domain.account_events import AccountEvent
from ebr.domain.accounts import check_roles
from ebr.domain.refusals import ReasonRequired
from ebr.store.users import UserRow

__all__ = ["ACCOUNT_ACTIONS", "AccountAction", "act_on_account"]

Apply = Callable[[ApiContext, str, Any, Signatory, datetime], UserRow]


@dataclass(frozen=True)
class AccountAction:
    """One act on an account: its request, the event it signs, what a page says once it is
    signed, and what it does (``apply(context, user_id, body, signatory, now)``)."""

    model: type[AccountAct]
    event: AccountEvent
    done: str
    apply: Apply


def _create(
    context: ApiContext, _: str, body: UserCreate, signer: Signatory, now: datetime
) -> UserRow:
    return create_user(
        context.engine,
        signatory=signer,
        user_id=body.user_id,
        full_name=body.full_name,
        roles=body.roles,
        initial_password=body.initial_password,
        reason=body.reason,
        now=now,
        controls=Controls.of(context.settings),
    )


def _roles(
    context: ApiContext, user_id: str, body: RolesChange, signer: Signatory, now: datetime
) -> UserRow:
    return change_roles(
        context.engine,
        signatory=signer,
        user_id=user_id,
        roles=body.roles,
        reason=body.reason,
        now=now,
    )


def _reset(
    context: ApiContext, user_id: str, body: PasswordReset, signer: Signatory, now: datetime
) -> UserRow:
    return reset_password(
        context.engine,
        signatory=signer,
        user_id=user_id,
        initial_password=body.initial_password,
        reason=body.reason,
        now=now,
        controls=Controls.of(context.settings),
    )


def _reasoned(act: Callable[..., UserRow]) -> Apply:
    def apply(
        context: ApiContext, user_id: str, body: Any, signer: Signatory, now: datetime
    ) -> UserRow:
        return act(context.engine, signatory=signer, user_id=user_id, reason=body.reason, now=now)

    return apply


ACCOUNT_ACTIONS: dict[str, AccountAction] = {
    "create": AccountAction(UserCreate, AccountEvent.CREATED, "Account created: signed.", _create),
    "identity": AccountAction(
        IdentityConfirmation,
        AccountEvent.IDENTITY_CONFIRMED,
        "Identity confirmed: signed (verified).",
        _reasoned(confirm_identity),
    ),
    "roles": AccountAction(
        RolesChange, AccountEvent.ROLES_CHANGED, "Roles changed: signed.", _roles
    ),
    "disable": AccountAction(
        AccountAct, AccountEvent.DISABLED, "Account disabled: signed.", _reasoned(disable_user)
    ),
    "enable": AccountAction(
        AccountAct, AccountEvent.ENABLED, "Account enabled: signed.", _reasoned(enable_user)
    ),
    "unlock": AccountAction(
        AccountAct, AccountEvent.UNLOCKED, "Account unlocked: signed.", _reasoned(unlock)
    ),
    "password": AccountAction(
        PasswordReset,
        AccountEvent.PASSWORD_RESET,
        "Password reset: signed; it must be changed at the next sign-in.",
        _reset,
    ),
}
"""Every act on an account, by the name its route and its page's form use."""


async def act_on_account(
    context: ApiContext,
    *,
    action: str,
    signer_id: str,
    station: str,
    user_id: str,
    body: AccountAct,
) -> UserRow:
    """Sign ``action`` on account ``user_id`` as ``signer_id`` (the session's owner) and apply it.

    Raises ``unknown_action``; before the password is tried, ``wrong_meaning``,
    ``reason_required``, ``roles_not_combinable`` and ``password_rejected``; then the signing
    ceremony's refusals (a wrong password, another person's user id...) and the account rules'
    (``role_not_allowed``, ``identity_not_confirmed``, ``segregation_of_duties``,
    ``account_state``, ``unknown_account``)."""
    known = ACCOUNT_ACTIONS.get(action)
    if known is None:
        raise UnknownAction(f"there is no account action {action!r}", {"action": action})
    meaning = known.event.meaning
    if body.signature.meaning is not meaning:
        raise WrongMeaning(
            f"this act is signed as {meaning.value!r}, not {body.signature.meaning.value!r}",
            {"field": "signature.meaning"},
        )
    if not body.reason.strip():
        raise ReasonRequired(f"{known.event.label} needs a reason", {"field": "reason"})
    controls = Controls.of(context.settings)
    if isinstance(body, UserCreate | RolesChange):
        check_roles(body.roles)
    if isinstance(body, UserCreate | PasswordReset):
        target = body.user_id if isinstance(body, UserCreate) else user_id
        check_password(target, body.initial_password, controls=controls, field="initial_password")
    now = context.now()

    def run() -> UserRow:
        signatory = open_signatory(
            context.engine,
            user_id=signer_id,
            claimed_user_id=body.signature.user_id,
            password=body.signature.password,
            station=station,
            now=now,
            controls=controls,
        )
        return known.apply(context, user_id, body, signatory, now)

    return await run_in_threadpool(run)
