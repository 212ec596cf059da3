"""Canonical JSON (RFC 8785, JCS) for everything that is hashed or signed, and SHA-256 helpers."""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785

from signatures.errors import MalformedInput

__all__ = ["canonical_json", "sha256_hex"]


def canonical_json(value: Any) -> bytes:
    """Return the RFC 8785 canonical UTF-8 bytes of ``value``.

    The same value gives the same bytes on every machine and Python version: object keys are
    sorted by their UTF-16 code units, there is no insignificant whitespace, strings are escaped
    minimally, and numbers use the ECMAScript shortest form.

    ``value`` may hold dicts with string keys, lists, tuples, strings, booleans, ``None``,
    integers within +/-(2**53 - 1) and finite floats. **Callers should pass decimal quantities as
    strings** (``"12.50"``): a float has no fixed decimal form and would be re-rounded, which is
    unacceptable for a signed batch record. ``Decimal``, ``bytes``, ``datetime`` and other types
    are refused rather than guessed at.

    Raises:
        MalformedInput: a float that is NaN or infinite, an integer outside the range JSON
            numbers can carry exactly, a non-string key, a string with lone surrogates, or an
            unsupported type.
    """
    try:
        return rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as exc:
        raise MalformedInput(f"value cannot be canonicalised: {exc}") from exc
    except RecursionError as exc:
        raise MalformedInput("value is nested too deeply to canonicalise") from exc


def sha256_hex(data: bytes) -> str:
    """Return the lowercase hex SHA-256 of ``data`` (64 characters)."""
    return hashlib.sha256(data).hexdigest()
