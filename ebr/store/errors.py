"""Errors the record store raises: each carries a stable machine code and a human message."""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = ["AlreadyExists", "Conflict", "NotFound", "StoreError"]


class StoreError(Exception):
    """Base of every store error; ``code`` is stable and meant for machines, ``message`` for people.

    A plain StoreError (not a subclass) means the stored data itself is wrong, for example a row
    whose content no longer matches its hash: that is an incident to investigate, never user error.
    """

    code: ClassVar[str] = "store_error"

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, "details": self.details}


class AlreadyExists(StoreError):
    """The key was used before and may not be used again (user ids are never reused)."""

    code = "already_exists"


class Conflict(StoreError):
    """A keyed write met an existing row with different content: a retry cannot explain it."""

    code = "conflict"


class NotFound(StoreError):
    """A write referred to a row that does not exist (updating an unknown batch)."""

    code = "not_found"
