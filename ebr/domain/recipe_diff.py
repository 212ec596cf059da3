"""What changed between two versions of a master recipe: steps added, removed, moved, and each
field changed, with its value before and after, so a reviewer sees side by side what they sign.

A step is the same step in both versions when it keeps its id (recipe step ids are stable across
versions where the step is the same). It is *moved* when it changed place among the steps both
versions share (the steps outside their longest common order), or changed unit procedure or
operation.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from ebr.domain.recipe import Recipe, Step

__all__ = ["FieldChange", "RecipeDiff", "StepChange", "StepDiff", "diff_recipes"]

HEADER_FIELDS = ("name", "product", "batch_size", "description")
STEP_FIELDS = (
    "name",
    "instructions",
    "kind",
    "role",
    "verify",
    "inputs",
    "min_duration_minutes",
    "max_duration_minutes",
    "complete_within",
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StepChange(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    MOVED = "moved"
    CHANGED = "changed"
    UNCHANGED = "unchanged"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class FieldChange(_Frozen):
    """One field, as it was and as it is (JSON values; ``None`` where absent)."""

    field: str
    before: Any = None
    after: Any = None


class StepDiff(_Frozen):
    step_id: str
    change: StepChange
    # 1-based positions in execution order, and "unit procedure / operation" ids.
    before_position: int | None = None
    after_position: int | None = None
    before_place: str | None = None
    after_place: str | None = None
    fields: tuple[FieldChange, ...] = ()

    @property
    def moved(self) -> bool:
        return self.before_place != self.after_place or self.change is StepChange.MOVED


class RecipeDiff(_Frozen):
    code: str
    before_version: int
    after_version: int
    header: tuple[FieldChange, ...] = ()
    steps: tuple[StepDiff, ...] = ()

    @property
    def same(self) -> bool:
        return not self.header and all(s.change is StepChange.UNCHANGED for s in self.steps)

    def count(self, change: StepChange) -> int:
        return sum(1 for s in self.steps if s.change is change)


def diff_recipes(before: Recipe, after: Recipe) -> RecipeDiff:
    """Every difference from ``before`` to ``after`` (two versions of one recipe code): the
    header's fields, then each step in ``after``'s order, each removed step where it stood."""
    old, new = _placed(before), _placed(after)
    kept = set(old) & set(new)
    in_order = _longest_common_order([s for s in old if s in kept], [s for s in new if s in kept])
    steps: list[StepDiff] = []
    for step_id, (position, place, step) in new.items():
        if step_id not in old:
            steps.append(StepDiff(step_id=step_id, change=StepChange.ADDED,
                                  after_position=position, after_place=place))  # fmt: skip
            continue
        was_position, was_place, was = old[step_id]
        fields = tuple(_field_changes(was, step, STEP_FIELDS))
        moved = step_id not in in_order or was_place != place
        change = (
            StepChange.MOVED if moved else StepChange.CHANGED if fields else StepChange.UNCHANGED
        )
        steps.append(
            StepDiff(
                step_id=step_id,
                change=change,
                before_position=was_position,
                after_position=position,
                before_place=was_place,
                after_place=place,
                fields=fields,
            )
        )
    for step_id, (position, place, _) in old.items():
        if step_id not in new:
            steps.append(StepDiff(step_id=step_id, change=StepChange.REMOVED,
                                  before_position=position, before_place=place))  # fmt: skip
    return RecipeDiff(
        code=after.code,
        before_version=before.version,
        after_version=after.version,
        header=tuple(_field_changes(before, after, HEADER_FIELDS)),
        steps=tuple(steps),
    )


def _placed(recipe: Recipe) -> dict[str, tuple[int, str, Step]]:
    """Each step by id: its 1-based position, its unit procedure / operation, the step."""
    found: dict[str, tuple[int, str, Step]] = {}
    for unit in recipe.procedure:
        for operation in unit.operations:
            for step in operation.steps:
                found[step.id] = (len(found) + 1, f"{unit.id} / {operation.id}", step)
    return found


def _field_changes(
    before: BaseModel, after: BaseModel, names: Iterable[str]
) -> Iterator[FieldChange]:
    old = before.model_dump(mode="json", exclude_defaults=True)
    new = after.model_dump(mode="json", exclude_defaults=True)
    for name in names:
        if old.get(name) != new.get(name):
            yield FieldChange(field=name, before=old.get(name), after=new.get(name))


def _longest_common_order(a: list[str], b: list[str]) -> set[str]:
    """The ids of the steps that kept their order in ``a`` and ``b`` (difflib's matching
    blocks, a common subsequence found in about linear time); the rest moved."""
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    return {a[block.a + k] for block in matcher.get_matching_blocks() for k in range(block.size)}
