"""Refusals of sign-in, password and signature requests; each audited before it is raised."""

from __future__ import annotations

from typing import Any, ClassVar


class AccountError(Exception):
    code: ClassVar[str] = "account_error"
    status: ClassVar[int] = 403

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message, self.details = message, details


class InvalidCredentials(AccountError):
    code = "invalid_credentials"
    status = 401


class AccountLocked(AccountError):
    code = "account_locked"
    status = 423


class PasswordChangeRequired(AccountError):
    code = "password_change_required"
    status = 403


class PasswordRejected(AccountError):
    code = "password_rejected"
    status = 422


class SignatureRefused(AccountError):
    code = "signature_refused"
    status = 401
