"""The dry run a draft must pass before it is submitted, as the recipe's workflow asks for it:
bounded in time and tries, so that a dry run that fails or hangs refuses the submission in words
instead of holding the recipe code's workflow (and every other version of the code) for long."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.recipes import RecipeActivities
    from ebr.domain import recipe_change_control as control
    from ebr.domain.recipe_versions import RecipeVersion
    from ebr.domain.refusals import RecipeStateError, Refusal
    from workflows.calls import refusal

__all__ = ["DRY_RUN_RETRY", "DRY_RUN_TIMEOUT", "check_dry_run"]

DRY_RUN_TIMEOUT = timedelta(minutes=2)  # the largest example takes 7 s on two cores
DRY_RUN_RETRY = RetryPolicy(maximum_attempts=2, non_retryable_error_types=["store_conflict"])


async def check_dry_run(version: RecipeVersion) -> None:
    """A draft is submitted only when its dry run finds no problem.

    Raises:
        ApplicationError: the refusal (``recipe_state``) when the dry run finds problems or
            could not be completed.
    """
    try:
        problems: int = await workflow.execute_activity_method(
            RecipeActivities.count_dry_run_problems,
            version.content_hash,
            start_to_close_timeout=DRY_RUN_TIMEOUT,
            retry_policy=DRY_RUN_RETRY,
        )
    except ActivityError as exc:
        raise refusal(
            RecipeStateError(
                f"the dry run of recipe {version.code} v{version.version} could not be "
                f"completed ({exc.cause or exc}); nothing was signed, submit again later",
                {"recipe_code": version.code, "recipe_version": version.version},
            )
        ) from None
    try:
        control.check_dry_run(version, problems=problems)
    except Refusal as exc:
        raise refusal(exc) from None
