"""A batch's redlines read from the record store and shaped for the API and the pages: each with
the steps it touches in the master's version and the batch's."""

from __future__ import annotations

from sqlmodel import Session

from api.batch_views import master_recipe, stored_batch
from api.redline_schemas import RedlineView, StepVersions
from ebr.domain.recipe import Recipe
from ebr.domain.redline_changes import apply_redline, describe, touched
from ebr.domain.redlines import Redline, RedlineStatus, effective
from ebr.domain.refusals import Refusal, UnknownRedline
from ebr.store.redlines import batch_redlines

__all__ = ["batch_redline_views", "redline_views", "stored_redline"]


def batch_redline_views(*, session: Session, batch_id: str) -> list[RedlineView]:
    """Every redline of the batch, in the order proposed; ``batch_not_found`` if there is none
    of that id."""
    row = stored_batch(session=session, batch_id=batch_id)
    redlines = batch_redlines(session=session, batch_id=batch_id)
    return redline_views(master_recipe(session=session, row=row), redlines)


def stored_redline(*, session: Session, batch_id: str, redline_id: str) -> RedlineView:
    """One redline of the batch; ``unknown_redline`` when it has none of that id."""
    views = batch_redline_views(session=session, batch_id=batch_id)
    found = next((v for v in views if v.redline_id == redline_id), None)
    if found is None:
        raise UnknownRedline(f"the batch has no redline {redline_id!r}", {"redline_id": redline_id})
    return found


def redline_views(master: Recipe, redlines: list[Redline]) -> list[RedlineView]:
    """The views of ``redlines``, read against ``master`` and the recipe they make of it."""
    running = effective(master, redlines) if redlines else master
    return [_view(r, master, running) for r in redlines]


def _view(redline: Redline, master: Recipe, running: Recipe) -> RedlineView:
    proposed: Recipe | None = None
    if redline.status is RedlineStatus.PROPOSED:
        try:
            proposed = apply_redline(running, redline.content)
        except Refusal:
            proposed = None  # it no longer applies: an approval would be refused, saying why
    steps = [
        StepVersions(
            step_id=step_id,
            master=master.step(step_id),
            batch=running.step(step_id),
            proposed=proposed.step(step_id) if proposed else None,
        )
        for step_id in touched(redline.content)
    ]
    return RedlineView(
        **redline.model_dump(exclude={"content", "decided_seq"}),
        changes=list(redline.content.changes),
        summary=[describe(c) for c in redline.content.changes],
        steps=steps,
    )
