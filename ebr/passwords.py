"""Password hashing with Argon2id (argon2-cffi); nothing else in ebr touches password hashes."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()
# A hash of a random password, verified against when the user does not exist, so that a login
# for an unknown user costs the same time as one for a known user (no user enumeration by timing).
_DUMMY_HASH = _HASHER.hash("ebr-no-such-user-placeholder")

MIN_LENGTH = 8


def hash_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise ValueError(f"a password needs at least {MIN_LENGTH} characters")
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; a missing hash still costs one Argon2 verification."""
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
