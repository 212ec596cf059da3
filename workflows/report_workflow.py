"""ReportWorkflow: issues one batch report (a draft on request, or the final one) and ends."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.reports import NOT_FINAL, ReportActivities
    from workflows.messages import IssueReportInput, ReportIssued

__all__ = ["ISSUE_RETRY", "ReportWorkflow", "draft_workflow_id", "final_workflow_id"]

ISSUE_TIMEOUT = timedelta(minutes=5)
ISSUE_HEARTBEAT = timedelta(seconds=30)
ISSUE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=5,
    non_retryable_error_types=[NOT_FINAL, "batch_not_found", "report_failed"],
)


def draft_workflow_id(batch_id: str, token: str) -> str:
    """A draft's workflow id: ``report-draft-<batch_id>-<token>`` (the API passes a uuid4 hex)."""
    return f"report-draft-{batch_id}-{token}"


def final_workflow_id(batch_id: str) -> str:
    """The final report's workflow id: one per batch, so concurrent requests share one run."""
    return f"report-final-{batch_id}"


@workflow.defn
class ReportWorkflow:
    """Issues one report of one batch with the ``issue_report`` activity, and returns it.

    The activity does the work (load, render, sign, store) and heartbeats between phases; a
    worker lost mid-render is noticed within the heartbeat timeout and the activity retried.
    A final report asked for a batch not yet released or rejected fails at once (not retried).
    The workflow keeps no state of its own and ends when the report is stored.
    """

    @workflow.run
    async def run(self, request: IssueReportInput) -> ReportIssued:
        return await workflow.execute_activity_method(
            ReportActivities.issue_report,
            request,
            start_to_close_timeout=ISSUE_TIMEOUT,
            heartbeat_timeout=ISSUE_HEARTBEAT,
            retry_policy=ISSUE_RETRY,
        )
