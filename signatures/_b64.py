"""Strict standard base64 for the bytes fields of stored JSON (private to this package)."""

from __future__ import annotations

import base64
import binascii
from typing import Any


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode(text: Any) -> bytes:
    """Decode standard padded base64; raise ``ValueError`` for anything else (incl. non-strings)."""
    if not isinstance(text, str):
        raise ValueError("expected a base64 string")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError(f"invalid base64: {exc}") from exc
