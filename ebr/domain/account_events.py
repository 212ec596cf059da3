"""What an account's signed records say: the event and its words, the change it carries, and
the account's chain (``ebr.domain.accounts`` says who may sign which)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from ebr.domain.meanings import Meaning
from ebr.domain.roles import Role
from ebr.domain.subjects import Chain, ChainKind, Subject, SubjectKind

__all__ = ["AccountChange", "AccountEvent", "account_chain", "account_subject"]


class AccountEvent(StrEnum):
    """What one signed record of an account does; it owns its words and its meaning."""

    CREATED = "created"
    IDENTITY_CONFIRMED = "identity_confirmed"
    ROLES_CHANGED = "roles_changed"
    DISABLED = "disabled"
    ENABLED = "enabled"
    UNLOCKED = "unlocked"
    PASSWORD_RESET = "password_reset"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def meaning(self) -> Meaning:
        """An identity confirmation is a verification; every administrator's act an approval."""
        return Meaning.VERIFIED if self is AccountEvent.IDENTITY_CONFIRMED else Meaning.APPROVED

    @property
    def by_administrator(self) -> bool:
        return self is not AccountEvent.IDENTITY_CONFIRMED


_LABELS = {
    AccountEvent.CREATED: "account created",
    AccountEvent.IDENTITY_CONFIRMED: "identity confirmed",
    AccountEvent.ROLES_CHANGED: "roles changed",
    AccountEvent.DISABLED: "account disabled",
    AccountEvent.ENABLED: "account enabled",
    AccountEvent.UNLOCKED: "account unlocked",
    AccountEvent.PASSWORD_RESET: "password reset",
}


def account_chain(user_id: str) -> Chain:
    return Chain(kind=ChainKind.ACCOUNT, id=user_id)


def account_subject(user_id: str) -> Subject:
    return Subject(kind=SubjectKind.ACCOUNT, id=user_id)


class AccountChange(BaseModel):
    """What an account's signed record says it does: its ``detail``. A creation names the
    person and the roles granted, a role change the roles held from then on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event: AccountEvent
    full_name: str | None = None
    roles: tuple[Role, ...] | None = None

    def detail(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)

    @classmethod
    def of_detail(cls, detail: Any) -> AccountChange:
        """Parse a record's detail; ``ValueError`` when it is no account change."""
        try:
            change = cls.model_validate(detail)
        except ValidationError as exc:
            raise ValueError(f"the detail is not an account change: {exc}") from None
        needs_roles = change.event in (AccountEvent.CREATED, AccountEvent.ROLES_CHANGED)
        if needs_roles != (change.roles is not None) or (
            (change.event is AccountEvent.CREATED) != (change.full_name is not None)
        ):
            raise ValueError(f"a {change.event.label} record names the wrong fields")
        return change
