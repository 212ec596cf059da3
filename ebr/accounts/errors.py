"""Refusals of sign-in, password and signature requests; each is audited before it is raised."""

from __future__ import annotations

from ebr.domain.refusals import Refusal, RefusalKind

__all__ = [
    "AccountError",
    "AccountLocked",
    "InvalidCredentials",
    "PasswordChangeRequired",
    "PasswordRejected",
    "SignatureRefused",
]


class AccountError(Refusal, code="account_error", kind=RefusalKind.FORBIDDEN):
    """Base of the account controls' refusals."""


class InvalidCredentials(
    AccountError, code="invalid_credentials", kind=RefusalKind.UNAUTHENTICATED
):
    """The user id or password is wrong, or the account is disabled (not said which)."""


class AccountLocked(AccountError, code="account_locked", kind=RefusalKind.LOCKED):
    """Too many failed attempts: an administrator must unlock the account."""


class PasswordChangeRequired(
    AccountError, code="password_change_required", kind=RefusalKind.FORBIDDEN
):
    """The password was set by an administrator or has aged: the user must set a new one."""


class PasswordRejected(AccountError, code="password_rejected", kind=RefusalKind.INVALID):
    """The new password breaks a password rule."""


class SignatureRefused(AccountError, code="signature_refused", kind=RefusalKind.UNAUTHENTICATED):
    """The signature's password is wrong, or its user id is not the signed-in user's."""
