"""The batch workflow's clocks: durable timers for each step's deadlines. Owns the ``breaches``
and ``not_before`` slices of the batch's state.

Deadlines come from the recipe (``ebr.domain.timing``): a step's maximum duration, and the most
time allowed between a step and the one it must follow within. The workflow sleeps until the
nearest one, so a breach is found when it happens even when nobody is online; a breach is audited
and opens a deviation. A completion that comes after its deadline is a breach too, found before
the completion is applied.
"""

from __future__ import annotations

from collections.abc import Callable

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.batch_events import BatchEventActivities
    from ebr.domain import timing
    from ebr.domain.deviations import Origin
    from ebr.domain.status import TERMINAL
    from ebr.domain.timing import Deadline, TimerBreach
    from workflows.batch_context import BatchContext
    from workflows.deviations import Deviations
    from workflows.holds import THE_RULES
    from workflows.messages import PersistBreachInput

__all__ = ["Timers"]


class Timers:
    """Watch the deadlines; claim and handle the breaches."""

    def __init__(self, context: BatchContext, deviations: Deviations) -> None:
        self._c = context
        self._deviations = deviations

    def _running(self) -> list[Deadline]:
        state = self._c.state
        breached = {b.deadline.timer_id for b in state.breaches}
        running = timing.deadlines(self._c.recipe, state.batch, not_before=state.not_before)
        return [d for d in running if d.timer_id not in breached]

    async def watch(self, done: Callable[[], bool]) -> None:
        """Until ``done``: sleep until the nearest deadline or a change of the batch, then look
        for breaches."""
        while not done():
            seen = self._c.version
            due = min((d.due_at for d in self._running()), default=None)

            def woken(seen: int = seen) -> bool:
                return done() or self._c.version != seen

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
                await self.handle(self.claim())

    def claim(self, step_id: str | None = None) -> list[TimerBreach]:
        """Take each deadline passed now (of ``step_id`` only, if given) as breached. Taking them
        before anything is awaited means a breach is never handled twice."""
        if self._c.batch.status in TERMINAL:
            return []
        found: list[TimerBreach] = []
        for deadline in self._running():
            if step_id is not None and deadline.step_id != step_id:
                continue
            breach = timing.breach(deadline, self._c.batch, at=workflow.now())
            if breach is not None:
                found.append(breach)
        self._c.state.breaches += found
        if found:
            self._c.changed()
        return found

    async def handle(self, found: list[TimerBreach]) -> None:
        """Audit each breach and open its deviation."""
        for breach in found:
            deadline = breach.deadline
            await self._c.created()
            await self._c.store(
                BatchEventActivities.persist_breach,
                PersistBreachInput(batch_id=self._c.batch_id, breach=breach),
            )
            await self._deviations.open(
                origin=Origin.TIMER,
                description=deadline.description,
                actor=THE_RULES,
                step_id=deadline.step_id,
                execution=deadline.execution,
            )
