"""The report's summary of exceptions, at its front: values out of specification, corrections and
comments, step by step (the review by exception, with QA's marks, is ``events.review_lines``)."""

from __future__ import annotations

from collections.abc import Iterable

from ebr.domain.meanings import Meaning
from ebr.report.history import ExceptionLine, OperationHistory, RecordLine, StepHistory

__all__ = ["exceptions_of"]


def exceptions_of(operations: Iterable[OperationHistory]) -> tuple[ExceptionLine, ...]:
    """Every exception in step order; a value out of specification is listed once per record."""
    found: list[ExceptionLine] = []
    for operation in operations:
        for step in operation.steps:
            for record in step.records:
                found.extend(_of_record(step, record))
    return tuple(found)


def _of_record(step: StepHistory, record: RecordLine) -> list[ExceptionLine]:
    sign = record.manifestation

    def line(kind: str, text: str) -> ExceptionLine:
        return ExceptionLine(
            kind=kind,
            position=step.position,
            step_name=step.name,
            text=text,
            who=sign.full_name,
            at=sign.at,
        )

    lines = [
        line(
            "out of specification",
            f"{v.label}: {v.display}{_unit(v.unit)} ({v.limits or 'limits'})",
        )
        for v in record.values
        if v.out_of_spec
    ]
    if sign.meaning is Meaning.CORRECTED:
        before = ", ".join(f"{v.label} {v.display}{_unit(v.unit)}" for v in record.original)
        after = ", ".join(f"{v.label} {v.display}{_unit(v.unit)}" for v in record.values)
        lines.append(
            line("correction", f"{before or '-'} → {after or '-'}; reason: {record.reason or '-'}")
        )
    if record.comment:
        lines.append(line("comment", record.comment))
    return lines


def _unit(unit: str | None) -> str:
    return f" {unit}" if unit else ""
