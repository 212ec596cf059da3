"""Building the Temporal worker that runs batch workflows, checkpoints and their activities."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleSpec,
)
from temporalio.worker import Worker

from activities.audit_log import AuditLogActivities
from activities.batch_events import BatchEventActivities
from activities.batch_store import BatchStoreActivities
from activities.recipes import RecipeActivities
from activities.reports import ReportActivities
from activities.signed_records import SignedRecordActivities
from ebr.report.signing_key import DocumentKey
from ebr.trust import SiteTrust
from workflows.batch_workflow import BatchWorkflow
from workflows.checkpoint_workflow import CHECKPOINT_SCHEDULE_ID, CheckpointWorkflow
from workflows.deviation_workflow import DeviationWorkflow
from workflows.recipe_workflow import RecipeWorkflow
from workflows.report_workflow import ReportWorkflow

if TYPE_CHECKING:
    from pyhanko.sign.timestamps import TimeStamper

# Store writes are synchronous (SQLModel); they run on this many threads per worker.
ACTIVITY_THREADS = 16


def build_worker(
    client: Client,
    engine: Engine,
    *,
    task_queue: str,
    trust: SiteTrust,
    document_key: DocumentKey | None = None,
    tsa_url: str | None = None,
    witness: Path | None = None,
) -> Worker:
    """A worker for every ebr workflow and activity; the caller runs it and shuts it down.

    ``document_key`` signs batch reports (``ebr.report.signing_key``); without one, the worker
    makes its own in memory, certified by the site CA. ``tsa_url`` (``EBR_TSA_URL``) names an
    RFC 3161 time-stamping authority asked for a token on each report signature (PAdES B-T);
    nothing is contacted until a report is signed. ``witness`` (``EBR_WITNESS_DIR``) receives
    every signed checkpoint of the audit log (``ebr.witness``).
    """
    store = BatchStoreActivities(engine)
    signed = SignedRecordActivities(engine, trust.ca.certificate)
    audit_log = AuditLogActivities(engine, trust, witness)
    reports = ReportActivities(engine, trust, document_key, _timestamper(tsa_url))
    events = BatchEventActivities(engine)
    recipes = RecipeActivities(engine)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[
            BatchWorkflow,
            CheckpointWorkflow,
            DeviationWorkflow,
            RecipeWorkflow,
            ReportWorkflow,
        ],
        activities=[
            store.create_batch,
            store.persist_hold,
            signed.persist_signed_record,
            signed.persist_chain_record,
            audit_log.write_checkpoint,
            reports.issue_report,
            events.persist_deviation,
            events.persist_breach,
            events.persist_review_mark,
            recipes.load_recipe_versions,
            recipes.save_recipe_revision,
            recipes.count_dry_run_problems,
        ],
        activity_executor=ThreadPoolExecutor(max_workers=ACTIVITY_THREADS),
        max_concurrent_activities=ACTIVITY_THREADS,
        max_concurrent_local_activities=ACTIVITY_THREADS,
    )


def _timestamper(tsa_url: str | None) -> TimeStamper | None:
    if not tsa_url:
        return None
    # Imported here: pyHanko takes seconds to load, and every ebr command imports this module.
    from pyhanko.sign.timestamps import HTTPTimeStamper

    return HTTPTimeStamper(tsa_url)


async def ensure_checkpoint_schedule(client: Client, *, task_queue: str, every: timedelta) -> None:
    """A Temporal Schedule signing an audit checkpoint every ``every``; created once per cluster."""
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            CheckpointWorkflow.run, id=CHECKPOINT_SCHEDULE_ID, task_queue=task_queue
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
    )
    try:
        await client.create_schedule(CHECKPOINT_SCHEDULE_ID, schedule)
    except ScheduleAlreadyRunningError:
        pass
