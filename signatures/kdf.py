"""Argon2id parameters and the password-to-AES-key derivation used to wrap personal keys."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from argon2.low_level import Type, hash_secret_raw

from signatures.errors import KeyFormatError

__all__ = ["FAST_TEST_PARAMS", "KdfParams", "derive_key"]

# Upper bounds on parameters read from storage, so a doctored file cannot make unwrapping
# allocate gigabytes or run for minutes.
_MAX_TIME_COST = 64
_MAX_MEMORY_KIB = 1024 * 1024
_MAX_PARALLELISM = 16


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost parameters; the defaults are OWASP's argon2id minimum (m=19 MiB, t=2, p=1).

    They cost a few tens of milliseconds: fine once per electronic signature, expensive for an
    attacker guessing passwords against a stolen wrapped key.
    """

    time_cost: int = 2
    memory_cost: int = 19456  # KiB
    parallelism: int = 1

    def check(self) -> None:
        """Raise ``KeyFormatError`` when the parameters are outside what Argon2 or we accept."""
        values = (self.time_cost, self.memory_cost, self.parallelism)
        if not (
            all(type(value) is int for value in values)
            and 1 <= self.time_cost <= _MAX_TIME_COST
            and 1 <= self.parallelism <= _MAX_PARALLELISM
            and 8 * self.parallelism <= self.memory_cost <= _MAX_MEMORY_KIB
        ):
            raise KeyFormatError(f"unacceptable Argon2id parameters: {self}")


FAST_TEST_PARAMS = KdfParams(time_cost=1, memory_cost=64, parallelism=1)
"""Cheap Argon2id parameters for tests and benchmarks only. NOT for production: a key wrapped
with them falls to password guessing orders of magnitude faster."""


def derive_key(password: str, salt: bytes, params: KdfParams) -> bytes:
    """Return the 32-byte Argon2id key for ``password`` (NFC-normalised, UTF-8) and ``salt``.

    Raises:
        KeyFormatError: ``params`` are out of range.
    """
    params.check()
    secret = unicodedata.normalize("NFC", password).encode("utf-8")
    return hash_secret_raw(
        secret,
        salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_cost,
        parallelism=params.parallelism,
        hash_len=32,
        type=Type.ID,
    )
