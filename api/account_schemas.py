"""What the account routes accept: each change to an account is signed, with a reason.

An administrator's act (creating an account, changing its roles, disabling, enabling, unlocking,
resetting its password) is signed with meaning ``approved``; QA's or a supervisor's confirmation
of a person's identity with meaning ``verified`` (``ebr.domain.account_events``).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, Field

from api.schemas import SignatureBody, Text
from ebr.domain.meanings import Meaning
from ebr.domain.roles import Role

__all__ = [
    "AccountAct",
    "IdentityConfirmation",
    "PasswordReset",
    "RolesChange",
    "UserCreate",
]

USER_ID = r"^[a-z][a-z0-9._-]{1,31}$"


class AccountAct(BaseModel):
    """A signed act on an account with its reason (disable, enable, unlock: nothing else)."""

    meaning: ClassVar[Meaning] = Meaning.APPROVED

    reason: Text
    signature: SignatureBody


class UserCreate(AccountAct):
    user_id: str = Field(pattern=USER_ID)
    full_name: str = Field(min_length=1, max_length=200)
    roles: list[Role] = Field(min_length=1)
    initial_password: str = Field(min_length=8, repr=False)


class RolesChange(AccountAct):
    roles: list[Role] = Field(min_length=1)


class PasswordReset(AccountAct):
    initial_password: str = Field(min_length=8, repr=False)


class IdentityConfirmation(AccountAct):
    """QA or a supervisor confirms the person's identity; ``reason`` says how (the document
    seen, in person), signed with meaning ``verified``."""

    meaning: ClassVar[Meaning] = Meaning.VERIFIED
