"""Errors raised by the signatures package: each has a stable machine ``code`` and a ``message``."""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "BadCertificate",
    "BadProof",
    "BadSignature",
    "ChainBroken",
    "KeyFormatError",
    "MalformedInput",
    "SignatureError",
    "WrongPassword",
]


class SignatureError(Exception):
    """Base of every error this package raises on purpose; ``code`` is meant for machines."""

    code: ClassVar[str] = "signature_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WrongPassword(SignatureError):
    """The password does not open the wrapped key (or the wrapped key was altered)."""

    code = "wrong_password"


class BadSignature(SignatureError):
    """A signature does not verify; ``index`` is set by batch verification (``verify_many``)."""

    code = "bad_signature"

    def __init__(self, message: str, *, index: int | None = None) -> None:
        super().__init__(message)
        self.index = index


class BadCertificate(SignatureError):
    """A certificate is not one the site CA issued, or it is not valid at the time asked about."""

    code = "bad_certificate"


class BadProof(SignatureError):
    """A Merkle inclusion or consistency proof does not verify."""

    code = "bad_proof"


class ChainBroken(SignatureError):
    """A record's ``prev_hash`` does not match the record before it; names the first such record."""

    code = "chain_broken"

    def __init__(self, message: str, *, label: str, index: int) -> None:
        super().__init__(message)
        self.label = label
        self.index = index


class KeyFormatError(SignatureError):
    """Stored key material (a wrapped key, a PEM file) is malformed or inconsistent."""

    code = "key_format"


class MalformedInput(SignatureError):
    """A value cannot be canonicalised, or a stored checkpoint cannot be parsed."""

    code = "malformed"
