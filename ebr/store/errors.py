"""What the record store refuses, as ``Refusal``s (``ebr.domain.refusals``) of their own kinds."""

from __future__ import annotations

from ebr.domain.refusals import Refusal, RefusalKind

__all__ = ["AlreadyExists", "Conflict", "NotFound", "StoreError"]


class StoreError(Refusal, code="store_error", kind=RefusalKind.DAMAGED):
    """The stored data itself is wrong, for example a row whose content no longer matches its
    hash: an incident to investigate, never user error. Its subclasses are ordinary refusals."""


class AlreadyExists(StoreError, code="already_exists", kind=RefusalKind.CONFLICT):
    """The key was used before and may not be used again (user ids are never reused)."""


class Conflict(StoreError, code="conflict", kind=RefusalKind.CONFLICT):
    """A keyed write met an existing row with different content: a retry cannot explain it."""


class NotFound(StoreError, code="not_found", kind=RefusalKind.NOT_FOUND):
    """A write referred to a row that does not exist (updating an unknown batch)."""
