"""ReportWorkflow on the time-skipping server: it issues a draft or the final report through the
worker build_worker makes, and a final report of an undecided batch fails at once."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from temporalio.client import Client, WorkflowFailureError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from ebr.worker import build_worker
from tests.report.decided import BATCH as RELEASED
from tests.report.decided import add_decided_batch
from tests.report.site import BATCH as IN_PROGRESS
from tests.report.site import ReportSite, build_report_site
from workflows.messages import IssueReportInput, ReportIssued
from workflows.report_workflow import ReportWorkflow, draft_workflow_id, final_workflow_id


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReportSite]:
    built = build_report_site(tmp_path_factory.mktemp("report-workflow") / "data")
    add_decided_batch(built)
    yield built
    built.engine.dispose()


@pytest.fixture
async def queue(workflow_env: WorkflowEnvironment, site: ReportSite) -> AsyncIterator[str]:
    task_queue = f"reports-{uuid.uuid4().hex[:8]}"
    async with build_worker(
        workflow_env.client, site.engine, task_queue=task_queue, trust=site.site.trust
    ):
        yield task_queue


async def _run(client: Client, queue: str, request: IssueReportInput, wf_id: str) -> ReportIssued:
    return await client.execute_workflow(ReportWorkflow.run, request, id=wf_id, task_queue=queue)


async def test_a_draft_is_issued_under_its_workflow_id(
    workflow_env: WorkflowEnvironment, queue: str
) -> None:
    wf_id = draft_workflow_id(IN_PROGRESS, uuid.uuid4().hex)
    issued = await _run(
        workflow_env.client, queue, IssueReportInput(batch_id=IN_PROGRESS, final=False), wf_id
    )
    assert issued.created and issued.report_id.startswith(f"{IN_PROGRESS}/draft/{wf_id}/")
    assert len(issued.sha256) == 64 and issued.pages >= 3


async def test_the_final_report_is_issued_once(
    workflow_env: WorkflowEnvironment, queue: str
) -> None:
    request = IssueReportInput(batch_id=RELEASED, final=True, requested_by="quinn")
    first = await _run(workflow_env.client, queue, request, final_workflow_id(RELEASED))
    second = await _run(workflow_env.client, queue, request, final_workflow_id(RELEASED))
    assert first.created and not second.created
    assert (second.report_id, second.sha256) == (f"{RELEASED}/final", first.sha256)


async def test_a_final_report_of_an_undecided_batch_fails_without_retrying(
    workflow_env: WorkflowEnvironment, queue: str
) -> None:
    request = IssueReportInput(batch_id=IN_PROGRESS, final=True)
    with pytest.raises(WorkflowFailureError) as caught:
        await _run(workflow_env.client, queue, request, final_workflow_id(IN_PROGRESS))
    activity_error = caught.value.cause
    assert isinstance(activity_error, ActivityError)
    refusal = activity_error.cause
    assert isinstance(refusal, ApplicationError) and refusal.type == "report_not_final"
    assert activity_error.retry_state is not None
    assert activity_error.retry_state.name == "NON_RETRYABLE_FAILURE"


async def test_its_history_replays(workflow_env: WorkflowEnvironment, queue: str) -> None:
    wf_id = draft_workflow_id(RELEASED, uuid.uuid4().hex)
    await _run(workflow_env.client, queue, IssueReportInput(batch_id=RELEASED, final=False), wf_id)
    history = await workflow_env.client.get_workflow_handle(wf_id).fetch_history()
    replayer = Replayer(workflows=[ReportWorkflow], data_converter=pydantic_data_converter)
    await replayer.replay_workflow(history, raise_on_replay_failure=True)
