"""A batch of 1,000 steps completes: the workflow continues as new and carries its state over."""

from __future__ import annotations

import pytest
from temporalio.api.enums.v1 import EventType

from ebr.domain.batch import BatchStatus
from ebr.store.batches import get_batch
from ebr.store.db import session_scope
from ebr.store.signed_records import list_batch_records
from tests.factories import OPERATOR, long_recipe
from tests.workflows.conftest import Plant
from workflows.batch_workflow import BatchWorkflow

pytestmark = pytest.mark.e2e


async def test_a_thousand_step_batch_completes_across_runs(plant: Plant) -> None:
    recipe = long_recipe(1000)
    handle = await plant.start(recipe, "B-LONG-1000", updates_per_run=300)
    for step in recipe.steps():
        await plant.sign(handle, step.id, OPERATOR, entered={"v": "1.5"})
    state = await handle.query(BatchWorkflow.state)
    assert state.status is BatchStatus.AWAITING_REVIEW
    assert state.steps_done() == 1000

    runs = 0
    run_id: str | None = handle.first_execution_run_id
    while run_id:  # the last run is still open, awaiting QA's decision
        history = await plant.client.get_workflow_handle(handle.id, run_id=run_id).fetch_history()
        last = history.events[-1]
        if last.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
            attrs = last.workflow_execution_continued_as_new_event_attributes
            run_id = attrs.new_execution_run_id
        else:
            run_id = None
        runs += 1
    assert runs >= 4, "1,000 updates at 300 a run must have continued as new at least 3 times"

    with session_scope(plant.engine) as session:
        records = list_batch_records(session=session, batch_id="B-LONG-1000")
        batch = get_batch(session=session, batch_id="B-LONG-1000")
    assert [r.seq for r in records] == list(range(1, 1001))
    assert batch is not None and batch.steps_done == 1000
