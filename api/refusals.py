"""Refusals only the API layer makes, each a ``Refusal`` of its own kind.

A request it cannot take, a caller it does not know, a part of the system that did not answer, and
stored data its reads found missing.

The domain's refusals (``ebr.domain.refusals``) say what a batch, a recipe or a person may not do;
these say what went wrong at the edge. ``api.errors.status_of`` gives each its HTTP status by kind.
"""

from __future__ import annotations

from ebr.domain.refusals import Refusal, RefusalKind

__all__ = [
    "InvalidRequest",
    "NotAuthenticated",
    "RecipeMissing",
    "ReportFailed",
    "ReportMissing",
    "ReportUnavailable",
    "SignatureIncomplete",
    "StoreConflict",
    "UnknownAction",
    "UnsupportedMediaType",
    "UpdateFailed",
    "WorkflowUnavailable",
    "WrongMeaning",
]


class NotAuthenticated(Refusal, code="not_authenticated", kind=RefusalKind.UNAUTHENTICATED):
    """The bearer token is missing, expired or invalid, or names no active user."""


class InvalidRequest(Refusal, code="invalid_request", kind=RefusalKind.INVALID):
    """The request does not parse or breaks a bound of its model; details list each field as
    ``{"field", "reason"}``, as FastAPI's own validation answers."""


class UnsupportedMediaType(Refusal, code="unsupported_media_type", kind=RefusalKind.UNSUPPORTED):
    """The body is in a content type the route does not take."""


class WrongMeaning(Refusal, code="wrong_meaning", kind=RefusalKind.INVALID):
    """The signature's meaning is not the one the action is signed with (details: ``field``)."""


class SignatureIncomplete(Refusal, code="signature_incomplete", kind=RefusalKind.INVALID):
    """A page's signing block was sent without a user id: nothing was signed."""


class WorkflowUnavailable(Refusal, code="workflow_unavailable", kind=RefusalKind.UNAVAILABLE):
    """The batch's workflow did not answer in time (no worker running?); nothing was recorded
    unless the batch shows it."""


class TemporalUnavailable(Refusal, code="temporal_unavailable", kind=RefusalKind.UNAVAILABLE):
    """The workflow service does not answer: nothing was sent, nothing recorded."""


class StoreUnavailable(Refusal, code="store_unavailable", kind=RefusalKind.UNAVAILABLE):
    """The record store does not answer."""


class ReportUnavailable(Refusal, code="report_unavailable", kind=RefusalKind.UNAVAILABLE):
    """The report was not issued in time (no worker running?)."""


class StoreConflict(Refusal, code="store_conflict", kind=RefusalKind.CONFLICT):
    """A store activity met a row with other content under the same key."""


class UpdateFailed(Refusal, code="update_failed", kind=RefusalKind.DAMAGED):
    """The workflow failed the update without a refusal's code: an incident, not the user's."""


class ReportFailed(Refusal, code="report_failed", kind=RefusalKind.DAMAGED):
    """The report workflow failed without a refusal's code."""


class ReportMissing(Refusal, code="report_missing", kind=RefusalKind.DAMAGED):
    """The report workflow said it stored a report the store does not have."""


class RecipeMissing(Refusal, code="recipe_missing", kind=RefusalKind.DAMAGED):
    """The store has no recipe of the hash a batch names."""


class UnknownAction(Refusal, code="unknown_action", kind=RefusalKind.NOT_FOUND):
    """A page's form was posted to an action the page does not have."""
