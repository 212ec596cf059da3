"""Issuing batch reports: load the history, render the PDF/A-3b, PAdES-sign it, store it once.

A sync activity: WeasyPrint and pyHanko are CPU-bound and run on the worker's thread pool,
heartbeating at each phase, and every few seconds within one (a long batch renders for longer
than the heartbeat timeout). A final report is issued once per batch and never rendered again;
a draft is stored under an id fixed by its workflow and activity, so a retry stores one draft.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from io import BytesIO
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from ebr.report.coverage import covering_checkpoint
from ebr.report.history import BatchHistory
from ebr.report.loading import load_history
from ebr.report.signing_key import DocumentKey, transient_document_key
from ebr.store.db import session_scope
from ebr.store.errors import NotFound, StoreError
from ebr.store.reports import (
    ReportKind,
    ReportRow,
    final_report,
    final_report_id,
    insert_report,
)
from ebr.trust import SiteTrust
from workflows.messages import IssueReportInput, ReportIssued

if TYPE_CHECKING:
    from pyhanko.sign.timestamps import TimeStamper

__all__ = ["NOT_FINAL", "ReportActivities", "draft_report_id"]

BEAT_SECONDS = 5.0
"""How often a phase heartbeats while it runs (the workflows' heartbeat timeout is 30 s)."""
NOT_FINAL = "report_not_final"
"""The failure type of a final report asked for a batch neither released nor rejected."""


def draft_report_id(batch_id: str, workflow_id: str, activity_id: str) -> str:
    """A draft's id: the same for every attempt of one activity, so a retry stores one draft."""
    return f"{batch_id}/draft/{workflow_id}/{activity_id}"


class ReportActivities:
    """Holds the store, the site trust and the document-signing key (``document_key``; when
    None, a key certified by the site CA is made in memory on first use). With a
    ``timestamper`` (a time-stamping authority), reports are signed PAdES B-T, else B-B."""

    def __init__(
        self,
        engine: Engine,
        trust: SiteTrust,
        document_key: DocumentKey | None = None,
        timestamper: TimeStamper | None = None,
    ) -> None:
        self._engine = engine
        self._trust = trust
        self._document_key = document_key
        self._timestamper = timestamper
        self._lock = threading.Lock()

    def _key(self) -> DocumentKey:
        with self._lock:
            if self._document_key is None:
                self._document_key = transient_document_key(self._trust.ca)
            return self._document_key

    @activity.defn(name="issue_report")
    def issue_report(self, request: IssueReportInput) -> ReportIssued:
        """Issue the batch's final report (once) or a watermarked draft; return what is stored.

        Raises:
            ApplicationError: non-retryable, type ``report_not_final`` for a final report of a
                batch neither released nor rejected, ``batch_not_found`` for an unknown batch,
                ``report_failed`` when the stored record cannot be read (recipe missing or
                altered, a damaged row).
        """
        batch_id = request.batch_id
        if request.final:
            stored = self._stored_final(batch_id)
            if stored is not None:
                return _issued(stored, created=False)
            report_id, kind = final_report_id(batch_id), ReportKind.FINAL
        else:
            info = activity.info()
            report_id = draft_report_id(batch_id, info.workflow_id or "", info.activity_id)
            kind = ReportKind.DRAFT
        with _phase("load"):
            history = self._load(batch_id)
        if request.final and not history.final:
            raise ApplicationError(
                f"batch {batch_id} is {history.status}: a final report needs it released or "
                "rejected",
                {"batch_id": batch_id, "status": history.status},
                type=NOT_FINAL,
                non_retryable=True,
            )
        # Imported here: WeasyPrint and pyHanko take seconds to load, and every ebr command
        # imports the worker's modules (ebr.cli -> ebr.runtime -> ebr.worker).
        from pypdf import PdfReader

        from ebr.report.render import render_pdf
        from signatures.pdf import sign_pdf

        ca = self._trust.ca.certificate
        with _phase("render"):
            pdf = render_pdf(
                history, ca_certificate=ca, site=self._trust.origin, draft=not request.final
            )
        with _phase("sign"):
            key = self._key()
            signed = sign_pdf(pdf, key.key, key.certificate, ca, timestamper=self._timestamper)
            pages = len(PdfReader(BytesIO(signed)).pages)
        with _phase("store"), session_scope(self._engine) as session:
            row, created = insert_report(
                session=session,
                report_id=report_id,
                batch_id=batch_id,
                kind=kind,
                pdf=signed,
                pages=pages,
                requested_by=request.requested_by,
                at=datetime.now(UTC),
            )
            return _issued(row, created=created)

    def _load(self, batch_id: str) -> BatchHistory:
        try:
            with Session(self._engine) as session:
                history = load_history(session=session, batch_id=batch_id)
                covered = covering_checkpoint(
                    session=session,
                    entries=history.evidence_audit,
                    certificate=self._trust.checkpoint_certificate,
                )
                return history.model_copy(update={"evidence_checkpoint": covered})
        except NotFound as exc:
            raise ApplicationError(exc.message, type="batch_not_found", non_retryable=True) from exc
        except StoreError as exc:
            raise ApplicationError(exc.message, type="report_failed", non_retryable=True) from exc

    def _stored_final(self, batch_id: str) -> ReportRow | None:
        with Session(self._engine) as session:
            return final_report(session=session, batch_id=batch_id)


@contextmanager
def _phase(name: str) -> Iterator[None]:
    """Heartbeat ``name`` now and every ``BEAT_SECONDS`` until the phase ends.

    The beats come from a helper thread running in a copy of this activity's context; a sync
    activity's heartbeat is handed to the worker's event loop thread-safely.
    """
    activity.heartbeat(name)
    done = threading.Event()
    context = contextvars.copy_context()

    def beat() -> None:
        while not done.wait(BEAT_SECONDS):
            context.run(activity.heartbeat, name)

    beating = threading.Thread(target=beat, name=f"heartbeat-{name}", daemon=True)
    beating.start()
    try:
        yield
    finally:
        done.set()
        beating.join()


def _issued(row: ReportRow, *, created: bool) -> ReportIssued:
    return ReportIssued(
        report_id=row.report_id, sha256=row.sha256, pages=row.pages, created=created
    )
