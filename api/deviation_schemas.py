"""What the deviation routes accept: an opening, investigation, classification, CAPA, disposition.

A deviation itself is answered as ``ebr.domain.deviations`` holds it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, Field

from api.schemas import Comment, SignatureBody, Text
from ebr.domain.deviation_decisions import Classification, ClassificationDetail, Decision
from ebr.domain.meanings import Meaning


class DeviationOpening(BaseModel):
    """Anyone's report of a deviation: what happened, and the step it concerns if any."""

    description: Text
    step_id: str | None = None


class DeviationInvestigation(BaseModel):
    """A supervisor's investigation: root cause, impact, and the steps it affected."""

    root_cause: Text
    impact: Text
    affected_steps: list[str] = Field(default_factory=list)


class DeviationClassification(BaseModel):
    """QA's signed classification (meaning ``classified``): minor, major or critical, with a
    reason. One below the class the rules gave the deviation (a critical parameter's: critical)
    is an exception of the review by exception."""

    meaning: ClassVar[Meaning] = Meaning.CLASSIFIED

    classification: Classification
    reason: Text
    comment: Comment = None
    signature: SignatureBody

    def detail(self) -> dict[str, Any]:
        """What the signed record carries beside the reason: the class."""
        return ClassificationDetail(classification=self.classification).detail()


class CapaReference(BaseModel):
    capa_ref: str = Field(min_length=1, max_length=200)


class DeviationDisposition(BaseModel):
    """QA's signed disposition (meaning ``approved``): accept, rework the named steps, or reject."""

    meaning: ClassVar[Meaning] = Meaning.APPROVED

    decision: Decision
    reason: Text
    rework_steps: list[str] = Field(default_factory=list)
    capa_ref: str | None = Field(default=None, max_length=200)
    comment: Comment = None
    signature: SignatureBody

    def detail(self) -> dict[str, Any]:
        """What the signed record carries beside the reason: the decision, the steps to rework
        and the CAPA reference."""
        return {
            "decision": self.decision.value,
            "rework_steps": list(self.rework_steps),
            "capa_ref": self.capa_ref,
        }
