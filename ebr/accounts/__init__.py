"""Accounts under Part 11 controls: sign-in with throttling and timed lockout (alerting
administrators and QA), server-side sessions that end, password rules, history and aging,
personal signing keys that only the password opens, and the signing ceremony (21 CFR 11.100,
11.200, 11.300). Every failure is audited and counts toward the lockout.

Every change to an account (its creation, its holder's identity confirmed, roles changed,
disabled, enabled, unlocked, a password reset) is a signature on the account's own chain, by an
administrator with a reason, or by QA or a supervisor for an identity (``ebr.accounts.events``);
the one unsigned change is the shell's break-glass unlock, audited with the OS user.
"""

from ebr.accounts.admin import (
    change_roles,
    disable_user,
    enable_user,
    reset_password,
    unlock,
    unlock_from_shell,
)
from ebr.accounts.controls import Controls
from ebr.accounts.enrolment import confirm_identity, create_account, create_user, found_site
from ebr.accounts.events import Signatory, open_signatory
from ebr.accounts.keys import change_password, provision_key, rotate_key
from ebr.accounts.sessions import open_session, sign_out
from ebr.accounts.sign_in import needs_new_password, sign_in
from ebr.accounts.signing import SigningKey, open_signing_key

__all__ = [
    "Controls",
    "Signatory",
    "SigningKey",
    "change_password",
    "change_roles",
    "confirm_identity",
    "create_account",
    "create_user",
    "disable_user",
    "enable_user",
    "found_site",
    "needs_new_password",
    "open_session",
    "open_signatory",
    "open_signing_key",
    "provision_key",
    "reset_password",
    "rotate_key",
    "sign_in",
    "sign_out",
    "unlock",
    "unlock_from_shell",
]
