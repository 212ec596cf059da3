"""The stored form of a personal signing key: ``WrappedKey`` and its JSON serialisation."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from signatures._b64 import b64decode, b64encode
from signatures.canonical import canonical_json
from signatures.errors import KeyFormatError
from signatures.kdf import KdfParams

__all__ = ["FORMAT", "NONCE_BYTES", "SALT_BYTES", "WrappedKey"]

FORMAT = "ebr-wrapped-ed25519/1"
SALT_BYTES = 16
NONCE_BYTES = 12
_CIPHERTEXT_BYTES = 32 + 16  # the raw private key, then the GCM tag


@dataclass(frozen=True, kw_only=True)
class WrappedKey:
    """An Ed25519 private key encrypted under a password-derived key, plus its public key.

    Produced by ``signatures.keys.wrap_key``; it holds nothing secret on its own, but a stolen
    copy can be attacked by guessing passwords, so the KDF parameters matter.
    """

    kdf: str = "argon2id"
    time_cost: int
    memory_cost: int  # KiB
    parallelism: int
    salt: bytes
    nonce: bytes
    ciphertext: bytes
    public_key: bytes  # raw 32 bytes

    @property
    def params(self) -> KdfParams:
        return KdfParams(self.time_cost, self.memory_cost, self.parallelism)

    def check(self) -> None:
        """Raise ``KeyFormatError`` unless every field has the kind and size this format uses."""
        if self.kdf != "argon2id":
            raise KeyFormatError(f"unknown key derivation function {self.kdf!r}")
        self.params.check()
        sizes = {
            "salt": (self.salt, SALT_BYTES),
            "nonce": (self.nonce, NONCE_BYTES),
            "ciphertext": (self.ciphertext, _CIPHERTEXT_BYTES),
            "public_key": (self.public_key, 32),
        }
        for name, (value, size) in sizes.items():
            if not isinstance(value, bytes) or len(value) != size:
                raise KeyFormatError(f"wrapped key field {name} must be {size} bytes")

    def to_json(self) -> str:
        """Serialise to canonical JSON text, bytes fields in standard base64."""
        return canonical_json(
            {
                "format": FORMAT,
                "kdf": self.kdf,
                "time_cost": self.time_cost,
                "memory_cost": self.memory_cost,
                "parallelism": self.parallelism,
                "salt": b64encode(self.salt),
                "nonce": b64encode(self.nonce),
                "ciphertext": b64encode(self.ciphertext),
                "public_key": b64encode(self.public_key),
            }
        ).decode("utf-8")

    @classmethod
    def from_json(cls, text: str | bytes) -> WrappedKey:
        """Parse what ``to_json`` wrote and check it.

        Raises:
            KeyFormatError: not JSON, wrong format tag, a missing field, a field of the wrong
                type or size, invalid base64, or KDF parameters out of range.
        """
        try:
            data: Any = json.loads(text)
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise KeyFormatError(f"not a wrapped key in format {FORMAT}")
            costs = {name: data[name] for name in ("time_cost", "memory_cost", "parallelism")}
            if not all(type(v) is int for v in costs.values()) or not isinstance(data["kdf"], str):
                raise KeyFormatError("wrapped key parameters have the wrong types")
            wrapped = cls(
                **costs,
                salt=b64decode(data["salt"]),
                nonce=b64decode(data["nonce"]),
                ciphertext=b64decode(data["ciphertext"]),
                public_key=b64decode(data["public_key"]),
                kdf=data["kdf"],
            )
        except (ValueError, KeyError, TypeError, RecursionError) as exc:
            raise KeyFormatError(f"malformed wrapped key: {exc!r}") from exc
        wrapped.check()
        return wrapped
