"""Accounts under Part 11 controls: sign-in with throttling and timed lockout (alerting
administrators and QA), server-side sessions that end, password rules, history and aging,
personal signing keys that only the password opens, and the signing ceremony (21 CFR 11.100,
11.200, 11.300). Every failure is audited and counts toward the lockout; an administrator
unlocks with a reason, or the lockout ends after its cooling period.
"""

from ebr.accounts.admin import change_roles, create_user, disable_user, unlock
from ebr.accounts.controls import Controls
from ebr.accounts.keys import change_password, provision_key, rotate_key
from ebr.accounts.sessions import open_session, sign_out
from ebr.accounts.sign_in import needs_new_password, sign_in
from ebr.accounts.signing import SigningKey, open_signing_key

__all__ = [
    "Controls",
    "SigningKey",
    "change_password",
    "change_roles",
    "create_user",
    "disable_user",
    "needs_new_password",
    "open_session",
    "open_signing_key",
    "provision_key",
    "rotate_key",
    "sign_in",
    "sign_out",
    "unlock",
]
