"""issue_report: a final report once per decided batch, never regenerated; drafts watermarked and
stored once per activity; refusals that are not retried. Runs the real activity on a signed store."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlmodel import Session
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities import reports
from activities.reports import ReportActivities
from ebr.report.verify_pdf import verify_report_pdf
from ebr.store.reports import get_report, list_reports
from tests.report.decided import BATCH as RELEASED
from tests.report.decided import add_decided_batch
from tests.report.site import BATCH as IN_PROGRESS
from tests.report.site import ReportSite, build_report_site
from workflows.messages import IssueReportInput, ReportIssued


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReportSite]:
    built = build_report_site(tmp_path_factory.mktemp("reports") / "data")
    add_decided_batch(built)
    yield built
    built.engine.dispose()


@pytest.fixture(scope="module")
def activities(site: ReportSite) -> ReportActivities:
    return ReportActivities(site.engine, site.site.trust)


def _issue(
    activities: ReportActivities,
    request: IssueReportInput,
    *,
    workflow_id: str = "report-wf",
    activity_id: str = "1",
    beats: list[Any] | None = None,
) -> ReportIssued:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, workflow_id=workflow_id, activity_id=activity_id)
    if beats is not None:
        env.on_heartbeat = lambda *details: beats.extend(details)
    issued: ReportIssued = env.run(activities.issue_report, request)
    return issued


def _pdf(site: ReportSite, report_id: str) -> bytes:
    with Session(site.engine) as session:
        row = get_report(session=session, report_id=report_id)
    assert row is not None
    assert row.sha256 == hashlib.sha256(row.pdf).hexdigest() and row.size == len(row.pdf)
    return row.pdf


def _text(pdf: bytes) -> str:
    return " ".join(
        " ".join((p.extract_text() or "").split()) for p in PdfReader(BytesIO(pdf)).pages
    )


def _phases(beats: list[Any]) -> list[Any]:
    """The heartbeats with repeats of one phase folded."""
    return [b for n, b in enumerate(beats) if n == 0 or beats[n - 1] != b]


def _count(site: ReportSite, batch_id: str) -> int:
    with Session(site.engine) as session:
        return len(list_reports(session=session, batch_id=batch_id))


def test_the_final_report_is_issued_once_and_never_regenerated(
    site: ReportSite, activities: ReportActivities
) -> None:
    beats: list[Any] = []
    request = IssueReportInput(batch_id=RELEASED, final=True, requested_by="quinn")
    first = _issue(activities, request, beats=beats)
    assert first.report_id == f"{RELEASED}/final" and first.created and first.pages >= 3
    assert _phases(beats) == ["load", "render", "sign", "store"]
    pdf = _pdf(site, first.report_id)
    assert first.sha256 == hashlib.sha256(pdf).hexdigest()
    assert verify_report_pdf(pdf, site.site.trust.ca.certificate).batch_number == RELEASED
    assert "NOT RELEASED" not in _text(pdf)
    rows = _count(site, RELEASED)
    again = _issue(activities, request, workflow_id="another", activity_id="7", beats=beats)
    assert (again.report_id, again.sha256, again.pages) == (
        first.report_id,
        first.sha256,
        first.pages,
    )
    assert again.created is False and _count(site, RELEASED) == rows
    assert _pdf(site, first.report_id) == pdf


def test_a_final_report_of_a_batch_not_decided_is_refused_and_not_retried(
    site: ReportSite, activities: ReportActivities
) -> None:
    with pytest.raises(ApplicationError) as caught:
        _issue(activities, IssueReportInput(batch_id=IN_PROGRESS, final=True))
    assert caught.value.type == "report_not_final" and caught.value.non_retryable
    assert "B-C is in_progress" in caught.value.message
    with Session(site.engine) as session:
        assert get_report(session=session, report_id=f"{IN_PROGRESS}/final") is None


def test_a_draft_is_watermarked_and_a_retry_stores_no_second_draft(
    site: ReportSite, activities: ReportActivities
) -> None:
    request = IssueReportInput(batch_id=IN_PROGRESS, final=False, requested_by="aude")
    draft = _issue(activities, request, workflow_id="report-draft-B-C-1", activity_id="1")
    assert draft.report_id == f"{IN_PROGRESS}/draft/report-draft-B-C-1/1" and draft.created
    pdf = _pdf(site, draft.report_id)
    assert "NOT RELEASED" in _text(pdf)
    verify_report_pdf(pdf, site.site.trust.ca.certificate)  # a draft is signed too
    rows = _count(site, IN_PROGRESS)
    retry = _issue(activities, request, workflow_id="report-draft-B-C-1", activity_id="1")
    assert (retry.report_id, retry.sha256, retry.created) == (draft.report_id, draft.sha256, False)
    assert _count(site, IN_PROGRESS) == rows
    other = _issue(activities, request, workflow_id="report-draft-B-C-2", activity_id="1")
    assert other.created and other.report_id != draft.report_id
    assert _count(site, IN_PROGRESS) == rows + 1


def test_a_draft_of_a_released_batch_is_watermarked_too(
    site: ReportSite, activities: ReportActivities
) -> None:
    draft = _issue(
        activities, IssueReportInput(batch_id=RELEASED, final=False), workflow_id="forced-draft"
    )
    text = _text(_pdf(site, draft.report_id))
    assert "NOT RELEASED" in text and "not the final report of the batch" in text


def test_an_unknown_batch(activities: ReportActivities) -> None:
    with pytest.raises(ApplicationError) as caught:
        _issue(activities, IssueReportInput(batch_id="nope", final=False))
    assert caught.value.type == "batch_not_found" and caught.value.non_retryable


def test_a_worker_given_the_site_document_key_signs_with_it(site: ReportSite) -> None:
    from ebr.report.signing_key import load_or_create_document_key

    key = load_or_create_document_key(Path(site.data_dir), ca=site.site.trust.ca)
    with_key = ReportActivities(site.engine, site.site.trust, key)
    draft = _issue(with_key, IssueReportInput(batch_id=RELEASED, final=False), workflow_id="k")
    result = verify_report_pdf(_pdf(site, draft.report_id), site.site.trust.ca.certificate)
    assert result.signature.signer == key.certificate.subject.rfc4514_string()


def test_a_worker_given_a_time_stamper_signs_b_t(site: ReportSite) -> None:
    from tests.signatures.tsa import make_tsa

    tsa = make_tsa(site.site.trust.ca, now=datetime.now(UTC))
    stamping = ReportActivities(site.engine, site.site.trust, timestamper=tsa)
    draft = _issue(stamping, IssueReportInput(batch_id=RELEASED, final=False), workflow_id="t")
    result = verify_report_pdf(
        _pdf(site, draft.report_id), site.site.trust.ca.certificate, require_timestamp=True
    )
    assert result.signature.level == "B-T" and result.signature.timestamped_at is not None


def test_a_long_phase_keeps_heartbeating(
    site: ReportSite, activities: ReportActivities, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rendering takes longer than a beat: the phase beats again while it runs, so a long batch
    does not outlast the workflows' heartbeat timeout."""
    monkeypatch.setattr(reports, "BEAT_SECONDS", 0.02)
    beats: list[Any] = []
    _issue(
        activities, IssueReportInput(batch_id=RELEASED, final=False), workflow_id="b", beats=beats
    )
    assert beats.count("render") > 1
    assert _phases(beats) == ["load", "render", "sign", "store"]
