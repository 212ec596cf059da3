"""``dry_run``: a recipe version executed for real, before it is approved, on a simulated plant.

The plant is made for the dry run and thrown away after it: Temporal's time-skipping test server
(``ebr.time_skipping``), a temporary SQLite store (migrated), a temporary site trust, a simulated
signer for each role of the plant (a real Ed25519 key certified by the temporary CA; a second
person of a role where a step is verified only by its own role) and an in-process worker
(``ebr.worker.build_worker``). Every record is an ``ebr.record/2`` payload signed as the API signs
it, recorded by the batch's own workflow. The site's store and Temporal are not touched.

The recipe runs once with every value in its limits, waiting out each minimum duration on the
server's clock (so the plant time is the workflow's own time), then once per critical number up to
that number, entered just out of its limits: the deviation it opens and the hold it places are read
from the run's store, and that run stops there. ``ebr.domain.dry_run`` reads the runs into the
report.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from tempfile import TemporaryDirectory

from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment

from ebr.domain.deviations import Origin
from ebr.domain.dry_run import DryRun, Run, VariantOutcome, report
from ebr.domain.dry_run_values import Variant, variants
from ebr.domain.recipe import Recipe
from ebr.dry_run_plant import Plant, Refused
from ebr.store.batch_events import load_batch_events
from ebr.store.db import make_engine, migrate, session_scope
from ebr.time_skipping import start_time_skipping
from ebr.trust import SiteTrust, load_or_create_trust
from ebr.worker import build_worker
from workflows.batch_workflow import BatchWorkflow

__all__ = ["dry_run", "dry_run_on"]

SITE_NAME = "ebr dry run"
OUT_OF_LIMIT_COMMENT = "dry run: entered out of its limits on purpose"


async def dry_run(recipe: Recipe) -> DryRun:
    """Execute ``recipe`` on a simulated plant of its own (a time-skipping server started for it
    and shut down after) and report what it does. Raises ``SimulatorMissing`` when the test
    server is not installed."""
    env = await start_time_skipping(quiet=True)
    try:
        return await dry_run_on(env, recipe)
    finally:
        await env.shutdown()


async def dry_run_on(env: WorkflowEnvironment, recipe: Recipe) -> DryRun:
    """``dry_run`` on a time-skipping server that is already running (tests share one). Its
    store, trust, signers and worker are its own; every workflow it started is ended after."""
    with TemporaryDirectory(prefix="ebr-dry-run-") as directory:
        engine, trust = await asyncio.to_thread(_temporary_site, Path(directory))
        try:
            task_queue = f"dry-run-{uuid.uuid4().hex[:12]}"
            async with build_worker(env.client, engine, task_queue=task_queue, trust=trust):
                plant = Plant(env, engine, trust, task_queue, recipe)
                try:
                    in_limit = await _in_limit_run(plant)
                    outcomes = [await _variant_run(plant, v, in_limit) for v in variants(recipe)]
                finally:
                    await plant.end_everything()
        finally:
            engine.dispose()
    return report(recipe, in_limit, outcomes)


def _temporary_site(directory: Path) -> tuple[Engine, SiteTrust]:
    url = f"sqlite:///{directory / 'dry-run.db'}"
    migrate(url)
    trust = load_or_create_trust(directory / "data", site_name=SITE_NAME, passphrase=None)
    return make_engine(url), trust


async def _in_limit_run(plant: Plant) -> Run:
    """Every step with values in their limits, as early as each may be completed."""
    batch = await plant.start("in-limit")
    refused = None
    for step in plant.recipe.steps():
        try:
            await plant.execute(batch, step)
        except Refused as stop:
            refused = stop.refused
            break
    ended_at = await plant.env.get_current_time()
    state = await batch.handle.query(BatchWorkflow.state)
    with session_scope(plant.engine) as session:
        breaches = load_batch_events(session=session, batch_id=batch.batch_id).breaches
    return Run(
        started_at=batch.started_at,
        ended_at=ended_at,
        batch=state,
        breached=tuple(b.deadline.timer_id for b in breaches),
        refused=refused,
    )


async def _variant_run(plant: Plant, variant: Variant, in_limit: Run) -> VariantOutcome:
    """The steps before ``variant``'s in their limits, then its value out of its limits: the
    deviation it opens, and whether it holds the batch. A step the in-limit run did not get
    past is not tried again."""
    steps = list(plant.recipe.steps())
    at = next(i for i, s in enumerate(steps) if s.id == variant.step_id)
    stopped = in_limit.refused
    if stopped is not None and at >= next(
        i for i, s in enumerate(steps) if s.id == stopped.step_id
    ):
        return VariantOutcome(variant=variant, refused=stopped)
    batch = await plant.start("variant")
    try:
        for step in steps[:at]:
            await plant.execute(batch, step)
        step = steps[at]
        recorded = await plant.perform(batch, step, variant.values(step), OUT_OF_LIMIT_COMMENT)
    except Refused as stop:
        return VariantOutcome(variant=variant, refused=stop.refused)
    with session_scope(plant.engine) as session:
        events = load_batch_events(session=session, batch_id=batch.batch_id)
    deviation = next(
        (
            d
            for d in events.deviations
            if d.origin is Origin.OUT_OF_LIMIT and d.step_id == variant.step_id
        ),
        None,
    )
    if deviation is None:
        return VariantOutcome(variant=variant, batch_status=recorded.batch_status)
    holds = any(h.active and h.deviation_id == deviation.id for h in events.holds)
    return VariantOutcome(
        variant=variant,
        deviation_id=deviation.id,
        deviation=deviation.description,
        critical=deviation.critical,
        holds=holds,
        batch_status=recorded.batch_status,
    )
