"""A batch's report (signed PDF/A-3b) and its machine-readable record, for QA and auditors.

Every download is audited: who, when, from which station, which report (and its SHA-256).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlmodel import Session
from temporalio.client import WorkflowFailureError
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ActivityError, ApplicationError

from api.batch_views import stored_batch
from api.context import ApiContext
from api.deps import ContextDep, RequireRole, station_of
from api.refusals import ReportFailed, ReportMissing, ReportUnavailable
from ebr.audit import audit
from ebr.domain.refusals import Refusal
from ebr.domain.roles import Role
from ebr.report.batch_record import BatchRecord, batch_record
from ebr.store.batches import BatchRow
from ebr.store.db import session_scope
from ebr.store.reports import ReportRow, final_report, get_report
from ebr.store.users import UserRow
from workflows.messages import IssueReportInput, ReportIssued
from workflows.report_workflow import ReportWorkflow, draft_workflow_id, final_workflow_id

router = APIRouter(prefix="/api/batches", tags=["reports"])

Reader = Annotated[UserRow, Depends(RequireRole(Role.QA, Role.AUDITOR))]

DECIDED = ("released", "rejected")
# Rendering and signing a long batch takes seconds; the workflow's activity gives up at 5 min.
ISSUE_WAIT_SECONDS = 360
# The report activity's refusals, each the Refusal of its code (``ReportNotFinal``, ``BatchNotFound``).
_FAILURES = frozenset({"report_not_final", "batch_not_found"})
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@router.get(
    "/{batch_id}/report.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The signed report"}},
)
async def report_pdf(
    batch_id: str,
    request: Request,
    user: Reader,
    context: ContextDep,
    draft: Annotated[bool, Query(description="a draft even when the final report exists")] = False,
) -> Response:
    """The batch's final report if it was issued (or, for a released or rejected batch, issued
    now, once); otherwise, or with ``draft=true``, a new draft marked NOT RELEASED."""
    return await report_download(
        context, batch_id=batch_id, user_id=user.user_id, station=station_of(request), draft=draft
    )


async def report_download(
    context: ApiContext, *, batch_id: str, user_id: str, station: str, draft: bool = False
) -> Response:
    """The report as ``GET .../report.pdf`` answers it, its download audited as ``user_id``'s
    (also served to the web pages' session)."""
    batch = await asyncio.to_thread(_batch, context, batch_id)
    report = None if draft else await asyncio.to_thread(_final, context, batch_id)
    if report is None:
        final = not draft and batch.status in DECIDED
        issued = await _issue(context, batch_id, final=final, requested_by=user_id)
        report = await asyncio.to_thread(_report, context, issued.report_id)
    await asyncio.to_thread(
        _audit_download,
        context,
        user_id=user_id,
        station=station,
        action="report_downloaded",
        entity="report",
        entity_id=report.report_id,
        batch_id=batch_id,
        value={"kind": report.kind, "sha256": report.sha256, "pages": report.pages},
    )
    name = f"batch-{_safe(batch.batch_number)}-{'report' if report.kind == 'final' else 'draft'}"
    return Response(
        content=report.pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{name}.pdf"',
            "X-Report-SHA256": report.sha256,
            "X-Report-Kind": report.kind,
            "X-Report-Id": report.report_id,
        },
    )


@router.get(
    "/{batch_id}/record.json",
    response_class=Response,
    responses={200: {"model": BatchRecord, "description": "The machine-readable record"}},
)
async def record_json(
    batch_id: str, request: Request, user: Reader, context: ContextDep
) -> Response:
    """The batch's signed records, audit entries (canonical form) and certificates (PEM)."""
    return await record_download(
        context, batch_id=batch_id, user_id=user.user_id, station=station_of(request)
    )


async def record_download(
    context: ApiContext, *, batch_id: str, user_id: str, station: str
) -> Response:
    """The record as ``GET .../record.json`` answers it, its download audited as ``user_id``'s
    (also served to the web pages' session)."""
    batch = await asyncio.to_thread(_batch, context, batch_id)
    record = await asyncio.to_thread(_record, context, batch_id)
    body = record.model_dump_json(indent=1).encode("utf-8")
    digest = hashlib.sha256(body).hexdigest()
    await asyncio.to_thread(
        _audit_download,
        context,
        user_id=user_id,
        station=station,
        action="record_downloaded",
        entity="record",
        entity_id=batch_id,
        batch_id=batch_id,
        value={"sha256": digest, "records": len(record.records), "audit": len(record.audit)},
    )
    return Response(
        content=body,
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="batch-{_safe(batch.batch_number)}'
            '-record.json"',
            "X-Record-SHA256": digest,
        },
    )


async def _issue(
    context: ApiContext, batch_id: str, *, final: bool, requested_by: str
) -> ReportIssued:
    """Run ReportWorkflow and wait for it: one run per batch for the final report (concurrent
    requests join it), a new run per request for a draft."""
    request = IssueReportInput(batch_id=batch_id, final=final, requested_by=requested_by)
    wf_id = final_workflow_id(batch_id) if final else draft_workflow_id(batch_id, uuid.uuid4().hex)
    try:
        handle = await context.temporal.start_workflow(
            ReportWorkflow.run,
            request,
            id=wf_id,
            task_queue=context.settings.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
        return await asyncio.wait_for(handle.result(), ISSUE_WAIT_SECONDS)
    except TimeoutError:
        raise ReportUnavailable(
            "the report was not issued in time: is an ebr worker running?"
        ) from None
    except WorkflowFailureError as exc:
        raise _failure(exc) from None


def _failure(exc: WorkflowFailureError) -> Refusal:
    cause: BaseException | None = exc.cause
    if isinstance(cause, ActivityError):
        cause = cause.cause
    if isinstance(cause, ApplicationError) and cause.type in _FAILURES:
        return Refusal.of(cause.type, cause.message)
    return ReportFailed(f"the report could not be issued: {cause or exc}")


def _batch(context: ApiContext, batch_id: str) -> BatchRow:
    with Session(context.reads) as session:
        return stored_batch(session=session, batch_id=batch_id)


def _final(context: ApiContext, batch_id: str) -> ReportRow | None:
    with Session(context.reads) as session:
        return final_report(session=session, batch_id=batch_id)


def _report(context: ApiContext, report_id: str) -> ReportRow:
    with Session(context.reads) as session:
        report = get_report(session=session, report_id=report_id)
    if report is None:  # the workflow said it stored it: the store must have it
        raise ReportMissing(f"report {report_id} is not in the store")
    return report


def _record(context: ApiContext, batch_id: str) -> BatchRecord:
    with Session(context.reads) as session:
        return batch_record(
            session=session, batch_id=batch_id, ca_certificate=context.trust.ca.certificate
        )


def _audit_download(
    context: ApiContext,
    *,
    user_id: str,
    station: str,
    action: str,
    entity: str,
    entity_id: str,
    batch_id: str,
    value: dict[str, Any],
) -> None:
    now = datetime.now(UTC)
    with session_scope(context.engine) as session:
        audit(
            session,
            event_key=f"{entity}/{entity_id}/downloaded/{uuid.uuid4().hex}",
            at=now,
            actor=user_id,
            station=station,
            action=action,
            entity=entity,
            entity_id=entity_id,
            batch_id=batch_id,
            new_value=value,
        )


def _safe(text: str) -> str:
    """A batch number as it may appear in a file name."""
    return _UNSAFE.sub("_", text).strip("_") or "batch"
