"""CheckpointWorkflow: signs the audit log's current Merkle root, on a schedule and on demand."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.audit_log import AuditLogActivities
    from workflows.messages import CheckpointWritten

CHECKPOINT_SCHEDULE_ID = "ebr-audit-checkpoints"


@workflow.defn
class CheckpointWorkflow:
    """Writes one signed checkpoint of the audit log (tree size, root hash, time), if it grew.

    Run by a Temporal Schedule every few minutes, so that a checkpoint an auditor keeps commits
    the site to its history; a rewrite of any earlier entry then breaks consistency with it.
    """

    @workflow.run
    async def run(self) -> CheckpointWritten:
        return await workflow.execute_activity_method(
            AuditLogActivities.write_checkpoint,
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=30)),
        )
