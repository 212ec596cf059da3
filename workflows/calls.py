"""How BatchWorkflow calls its store activities, names its status attribute, and refuses requests."""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy, SearchAttributeKey
from temporalio.exceptions import ApplicationError

from ebr import search_attributes
from ebr.domain.refusals import Refusal

__all__ = [
    "RECIPE_KEY",
    "STATUS_KEY",
    "STORE_RETRY",
    "STORE_WRITE_GIVE_UP",
    "STORE_WRITE_TIMEOUT",
    "refusal",
]

STATUS_KEY = SearchAttributeKey.for_keyword(search_attributes.BATCH_STATUS)
RECIPE_KEY = SearchAttributeKey.for_keyword(search_attributes.RECIPE_CODE)

STORE_WRITE_TIMEOUT = timedelta(seconds=10)
STORE_WRITE_GIVE_UP = timedelta(minutes=5)
STORE_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    maximum_interval=timedelta(seconds=10),
    non_retryable_error_types=["store_conflict"],
)


def refusal(error: Refusal) -> ApplicationError:
    """A domain refusal as a Temporal failure the API can translate: type = the error's code."""
    return ApplicationError(
        error.message,
        {"kind": error.kind.value, "details": error.details},
        type=error.code,
        non_retryable=True,
    )
