"""The batch's clocks: durable timers for each step's deadlines, mixed into BatchWorkflow.

Deadlines come from the recipe (``ebr.domain.timing``): a step's maximum duration, and the most
time allowed between a step and the one it must follow within. The workflow sleeps until the
nearest one, so a breach is found when it happens even when nobody is online; a breach is audited
and opens a deviation. A completion that comes after its deadline is a breach too, found before
the completion is applied.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from temporalio import workflow

from workflows.deviating import THE_RULES, DeviationUpdates

with workflow.unsafe.imports_passed_through():
    from activities.batch_events import BatchEventActivities
    from ebr.domain import timing
    from ebr.domain.deviations import Origin
    from ebr.domain.status import TERMINAL
    from ebr.domain.timing import Deadline, TimerBreach
    from workflows.calls import STORE_RETRY, STORE_WRITE_GIVE_UP, STORE_WRITE_TIMEOUT
    from workflows.messages import PersistBreachInput


class TimerWatch(DeviationUpdates):
    _breaches: list[TimerBreach]
    _not_before: datetime

    def _running_deadlines(self) -> list[Deadline]:
        breached = {b.deadline.timer_id for b in self._breaches}
        running = timing.deadlines(self._recipe, self._state, not_before=self._not_before)
        return [d for d in running if d.timer_id not in breached]

    async def _watch_clock(self, done: Callable[[], bool]) -> None:
        """Until ``done``: sleep until the nearest deadline or a change of the batch, then look
        for breaches."""
        while not done():
            seen = self._version
            due = min((d.due_at for d in self._running_deadlines()), default=None)

            def woken(seen: int = seen) -> bool:
                return done() or self._version != seen

            if due is None:
                await workflow.wait_condition(woken)
            else:
                delay = (due - workflow.now()).total_seconds()
                if delay > 0:
                    try:
                        await workflow.wait_condition(woken, timeout=delay)
                    except TimeoutError:
                        pass
            if not done():
                await self._check_breaches()

    async def _check_breaches(self) -> None:
        await self._handle_breaches(self._claim_breaches())

    def _claim_breaches(self, step_id: str | None = None) -> list[TimerBreach]:
        """Take each deadline passed now (of ``step_id`` only, if given) as breached. Taking them
        before anything is awaited means a breach is never handled twice."""
        if self._state.status in TERMINAL:
            return []
        found: list[TimerBreach] = []
        for deadline in self._running_deadlines():
            if step_id is not None and deadline.step_id != step_id:
                continue
            breach = timing.breach(deadline, self._state, at=workflow.now())
            if breach is not None:
                found.append(breach)
        self._breaches += found
        self._version += bool(found)
        return found

    async def _handle_breaches(self, found: list[TimerBreach]) -> None:
        """Audit each breach and open its deviation."""
        for breach in found:
            deadline = breach.deadline
            await workflow.wait_condition(lambda: self._created)
            await workflow.execute_local_activity_method(
                BatchEventActivities.persist_breach,
                PersistBreachInput(batch_id=self._state.header.batch_id, breach=breach),
                start_to_close_timeout=STORE_WRITE_TIMEOUT,
                schedule_to_close_timeout=STORE_WRITE_GIVE_UP,
                retry_policy=STORE_RETRY,
            )
            await self._open_deviation(
                origin=Origin.TIMER,
                description=deadline.description,
                actor=THE_RULES,
                step_id=deadline.step_id,
                execution=deadline.execution,
            )
