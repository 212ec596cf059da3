"""QA's two signed decisions on a deviation, as signed: its classification and its disposition.

Both are Part 11 signatures on the batch's chain, with the deviation as their subject: the
**classification** (meaning ``classified``: minor, major or critical, always with a reason) and
the **disposition** (meaning ``approved``: accept, rework or reject, with a reason). Each signed
record carries its structured content in ``detail`` (``ClassificationDetail``,
``DispositionDetail``).

The rules give some deviations a class of their own (``rules_class``): a value out of the limits
of a critical input is critical. QA may classify it lower, with the reason every classification
carries; such a classification is **below the rules' class** (``below_rules``), an exception of
the review by exception that QA marks before release, and a line of the report's deviation
section.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from ebr.domain.refusals import PayloadMismatch

__all__ = [
    "Classification",
    "ClassificationDetail",
    "Decision",
    "Disposition",
    "DispositionDetail",
    "below_rules",
    "rules_class",
]


class Classification(StrEnum):
    """QA's classification of a deviation: its words, its rank (minor lowest), and whether it
    holds the batch until the disposition (``holds_batch``)."""

    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def rank(self) -> int:
        return list(Classification).index(self)

    @property
    def holds_batch(self) -> bool:
        return self is not Classification.MINOR


class Decision(StrEnum):
    """QA's disposition of a deviation: its words, and whether it names steps to redo."""

    ACCEPT = "accept"
    REWORK = "rework"
    REJECT = "reject"

    @property
    def label(self) -> str:
        return {"accept": "Accept", "rework": "Rework", "reject": "Reject the batch"}[self.value]

    @property
    def names_steps(self) -> bool:
        return self is Decision.REWORK


def rules_class(*, critical: bool) -> Classification | None:
    """The class the rules give a deviation: critical for one opened for a critical parameter
    (a value out of a critical input's limits); none otherwise (QA's classification alone)."""
    return Classification.CRITICAL if critical else None


def below_rules(classification: Classification | None, rules: Classification | None) -> bool:
    """QA's classification is lower than the class the rules gave the deviation."""
    return classification is not None and rules is not None and classification.rank < rules.rank


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Disposition(_Frozen):
    decision: Decision
    reason: str
    rework_steps: tuple[str, ...] = ()
    by: str
    at: datetime


def _signed_detail(model: type[BaseModel], detail: dict[str, Any] | None, what: str) -> Any:
    try:
        return model.model_validate(detail or {})
    except ValidationError as exc:
        raise PayloadMismatch(f"{what}: {exc.errors()[0]['msg']}", {"field": "detail"}) from None


class DispositionDetail(_Frozen):
    """The structured part of QA's signed disposition (the signed record's ``detail``)."""

    decision: Decision
    rework_steps: tuple[str, ...] = ()
    capa_ref: str | None = None

    @classmethod
    def of(cls, detail: dict[str, Any] | None) -> DispositionDetail:
        """The detail as signed, or ``PayloadMismatch`` saying what it lacks."""
        found: DispositionDetail = _signed_detail(
            cls, detail, "a disposition's detail names its decision and rework steps"
        )
        return found

    def ruling(self, *, reason: str | None, by: str, at: datetime) -> Disposition:
        return Disposition(
            decision=self.decision,
            reason=(reason or "").strip(),
            rework_steps=self.rework_steps,
            by=by,
            at=at,
        )


class ClassificationDetail(_Frozen):
    """The structured part of QA's signed classification (the signed record's ``detail``)."""

    classification: Classification

    @classmethod
    def of(cls, detail: dict[str, Any] | None) -> ClassificationDetail:
        """The detail as signed, or ``PayloadMismatch`` saying what it lacks."""
        found: ClassificationDetail = _signed_detail(
            cls, detail, "a classification's detail names its class (minor, major or critical)"
        )
        return found

    def detail(self) -> dict[str, Any]:
        return {"classification": self.classification.value}
