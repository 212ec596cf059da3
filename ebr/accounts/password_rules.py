"""The password rules (21 CFR 11.300(b)), one set for every password: chosen by its owner, set
by an administrator for a new account, or seeded for the demo.

Why one set: an initial password an administrator chooses is a real password until it is
changed (it signs the user in), so ``abcdefgh`` is as weak there as anywhere. And a password
may not be one of the owner's last ``Controls.password_history`` ones, so that a forced change
cannot be undone by changing back (A to B to A).
"""

from __future__ import annotations

from sqlalchemy import Engine

from ebr.accounts.controls import Controls
from ebr.accounts.errors import PasswordRejected
from ebr.passwords import verify_password
from ebr.store.db import session_scope
from ebr.store.password_history import recent_hashes
from ebr.store.users import UserRow

__all__ = ["check_not_reused", "check_password", "problems_of"]


def problems_of(user_id: str, password: str, *, controls: Controls) -> list[str]:
    """The rules ``password`` breaks for ``user_id``, in words ("at least 10 characters")."""
    problems = []
    if len(password) < controls.password_min_length:
        problems.append(f"at least {controls.password_min_length} characters")
    if user_id.lower() in password.lower():
        problems.append("not containing the user id")
    if not (any(c.isalpha() for c in password) and any(not c.isalpha() for c in password)):
        problems.append("letters and at least one digit or symbol")
    return problems


def check_password(
    user_id: str,
    password: str,
    *,
    controls: Controls,
    old: str | None = None,
    field: str = "new_password",
) -> None:
    """Raise ``password_rejected`` (details: ``field`` and every rule broken) unless ``password``
    meets the rules for ``user_id``; ``old``, given, is the current password it must differ from."""
    problems = problems_of(user_id, password, controls=controls)
    if old is not None and password == old:
        problems.append("different from the current password")
    if problems:
        raise PasswordRejected(
            f"the password must be: {'; '.join(problems)}", {"field": field, "rules": problems}
        )


def check_not_reused(
    engine: Engine, user: UserRow, password: str, *, controls: Controls, field: str
) -> None:
    """Raise ``password_rejected`` when ``password`` is the user's current password or one of
    their last ``controls.password_history`` ones. Each is compared with its Argon2 hash outside
    any transaction (five verifications must not hold the store's write lock)."""
    count = controls.password_history
    if count < 1:
        return
    with session_scope(engine) as session:
        history = recent_hashes(session=session, user_id=user.user_id, count=count)
    if any(
        verify_password(stored, password)
        for stored in dict.fromkeys([user.password_hash, *history])
    ):
        rule = f"not one of your last {count} passwords"
        raise PasswordRejected(f"the password must be: {rule}", {"field": field, "rules": [rule]})
