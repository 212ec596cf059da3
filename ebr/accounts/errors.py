"""Refusals of sign-in, password and signature requests; each is audited before it is raised."""

from __future__ import annotations

from ebr.domain.refusals import Refusal, RefusalKind

__all__ = [
    "AccountError",
    "AccountLocked",
    "InvalidCredentials",
    "PasswordChangeRequired",
    "PasswordRejected",
    "SessionEnded",
    "SignInThrottled",
    "SignatureRefused",
    "SignerNotSignedIn",
]


class AccountError(Refusal, code="account_error", kind=RefusalKind.FORBIDDEN):
    """Base of the account controls' refusals."""


class InvalidCredentials(
    AccountError, code="invalid_credentials", kind=RefusalKind.UNAUTHENTICATED
):
    """The user id or password is wrong, or the account is disabled (not said which)."""


class AccountLocked(AccountError, code="account_locked", kind=RefusalKind.LOCKED):
    """Too many failed attempts: locked until the cooling period is over (details: ``locked_until``
    and ``retry_after`` in seconds), or, when the lockout is permanent, until an administrator
    unlocks it (``locked_until`` None)."""


class SignInThrottled(AccountError, code="sign_in_throttled", kind=RefusalKind.THROTTLED):
    """Failed sign-ins just now, for this account or from this address: no password is tried
    until the delay is over (details: ``retry_after`` in seconds). Nothing is counted."""


class SessionEnded(AccountError, code="session_ended", kind=RefusalKind.UNAUTHENTICATED):
    """The session the token or cookie names is over: signed out, ended by a password change,
    a disabled account, a role change or a lockout, or idle too long (details: ``reason``)."""


class PasswordChangeRequired(
    AccountError, code="password_change_required", kind=RefusalKind.FORBIDDEN
):
    """The password was set by an administrator or has aged: the user must set a new one."""


class PasswordRejected(AccountError, code="password_rejected", kind=RefusalKind.INVALID):
    """The new password breaks a password rule."""


class SignatureRefused(AccountError, code="signature_refused", kind=RefusalKind.UNAUTHENTICATED):
    """The signature's password is wrong, or its user id is not the signed-in user's."""


class SignerNotSignedIn(AccountError, code="signer_not_signed_in", kind=RefusalKind.FORBIDDEN):
    """The signature names another user id than the session's owner: a session signs only as
    the person who signed in. Nothing is tried, nothing is recorded."""
