"""The report and the machine-readable record over HTTP: for QA and auditors only, the final
report issued once and served as stored, drafts watermarked, every download audited."""

from __future__ import annotations

import asyncio
import hashlib
import json
from io import BytesIO

import httpx
import pytest
from pypdf import PdfReader
from sqlmodel import Session

from ebr.report.verify_pdf import verify_report_pdf
from ebr.store.reports import list_reports
from tests.api.decisions import MIX, closed_by_accept, mark_all, release, with_out_of_limit_mix
from tests.api.harness import Ebr
from tests.api.people import audit_entries
from tests.api.steps import assert_error, run_steps, started

pytestmark = pytest.mark.e2e


def _text(pdf: bytes) -> str:
    pages = PdfReader(BytesIO(pdf)).pages
    return " ".join(" ".join((page.extract_text() or "").split()) for page in pages)


async def _report(ebr: Ebr, user: str, batch_id: str, **params: str) -> httpx.Response:
    answer = await ebr.get(user, f"/api/batches/{batch_id}/report.pdf", params=params)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["x-report-sha256"] == hashlib.sha256(answer.content).hexdigest()
    return answer


def _kinds(ebr: Ebr, batch_id: str) -> list[str]:
    with Session(ebr.engine) as session:
        return [r.kind for r in list_reports(session=session, batch_id=batch_id)]


async def _released(ebr: Ebr) -> str:
    batch_id, dev = await with_out_of_limit_mix(ebr)
    await closed_by_accept(ebr, batch_id, dev["id"])
    await run_steps(ebr, batch_id, first=MIX + 1)
    await mark_all(ebr, batch_id)
    answer = await release(ebr, batch_id)
    assert answer.status_code == 200, answer.text
    return batch_id


async def test_a_released_batch_has_one_final_report_served_as_stored(ebr: Ebr) -> None:
    batch_id = await _released(ebr)
    first = await _report(ebr, "quinn", batch_id)
    assert first.headers["x-report-kind"] == "final"
    disposition = first.headers["content-disposition"]
    assert disposition.startswith("attachment;") and f"batch-{batch_id}-report.pdf" in disposition
    text = _text(first.content)
    assert "NOT RELEASED" not in text and f"Batch {batch_id} · Released" in text
    assert "Released by Rita Serrano (rita)" in text and "Deviations and their dispositions" in text
    # pyHanko validates with asyncio.run: off this test's event loop.
    result = await asyncio.to_thread(verify_report_pdf, first.content, ebr.trust.ca.certificate)
    assert result.batch_number == batch_id
    assert result.checkpoint_size is not None, "the checkpoint signed at the decision covers it"

    again = await _report(ebr, "aude", batch_id)
    assert again.content == first.content and again.headers["x-report-kind"] == "final"
    assert _kinds(ebr, batch_id).count("final") == 1

    draft = await _report(ebr, "aude", batch_id, draft="true")
    assert draft.headers["x-report-kind"] == "draft" and "NOT RELEASED" in _text(draft.content)
    assert draft.headers["x-report-sha256"] != first.headers["x-report-sha256"]
    assert sorted(_kinds(ebr, batch_id)) == ["draft", "final"]

    downloads = await audit_entries(ebr, batch_id=batch_id, entity="report")
    assert [(e["actor"], e["action"]) for e in downloads] == [
        ("quinn", "report_downloaded"),
        ("aude", "report_downloaded"),
        ("aude", "report_downloaded"),
    ]
    assert downloads[0]["entity_id"] == f"{batch_id}/final"
    assert downloads[0]["new_value"]["sha256"] == first.headers["x-report-sha256"]
    assert downloads[2]["new_value"]["kind"] == "draft"
    assert all(e["station"].startswith("line-7 terminal") for e in downloads)


async def test_a_batch_in_progress_gets_a_new_watermarked_draft_each_time(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    await run_steps(ebr, batch_id, stop=2)
    first = await _report(ebr, "aude", batch_id)
    second = await _report(ebr, "quinn", batch_id)
    for answer in (first, second):
        assert answer.headers["x-report-kind"] == "draft"
        assert f"batch-{batch_id}-draft.pdf" in answer.headers["content-disposition"]
        assert "NOT RELEASED" in _text(answer.content)
    assert first.headers["x-report-id"] != second.headers["x-report-id"]
    assert _kinds(ebr, batch_id) == ["draft", "draft"]
    await asyncio.to_thread(verify_report_pdf, first.content, ebr.trust.ca.certificate)


async def test_the_record_json_carries_records_audit_and_certificates(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    await run_steps(ebr, batch_id, stop=2)
    answer = await ebr.get("aude", f"/api/batches/{batch_id}/record.json")
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-record-sha256"] == hashlib.sha256(answer.content).hexdigest()
    assert f"batch-{batch_id}-record.json" in answer.headers["content-disposition"]
    record = json.loads(answer.content)
    assert (record["format"], record["batch_id"]) == ("ebr.batch-record/2", batch_id)
    assert len(record["records"]) == 4  # two steps, each performed and verified
    assert all(
        {"payload", "signature", "key_id", "record_hash", "prev_hash"} <= set(r)
        for r in record["records"]
    )
    assert {"canonical", "leaf_hash"} <= set(record["audit"][0])
    assert record["certificates_pem"].count("BEGIN CERTIFICATE") == 3  # olga, sam and the CA
    (download,) = await audit_entries(ebr, batch_id=batch_id, entity="record")
    assert (download["action"], download["actor"], download["entity_id"]) == (
        "record_downloaded",
        "aude",
        batch_id,
    )
    assert download["new_value"]["sha256"] == answer.headers["x-record-sha256"]


@pytest.mark.parametrize("path", ["report.pdf", "record.json"])
async def test_only_qa_and_auditors_may_download(ebr: Ebr, path: str) -> None:
    batch_id = await started(ebr)
    for user in ("olga", "sam"):
        body = assert_error(await ebr.get(user, f"/api/batches/{batch_id}/{path}"), 403,
                            "role_not_allowed")  # fmt: skip
        assert body["details"] == {"required_roles": ["qa", "auditor"]}
    anonymous = await ebr.http.get(f"/api/batches/{batch_id}/{path}")
    assert_error(anonymous, 401, "not_authenticated")
    assert_error(await ebr.get("quinn", f"/api/batches/B-NOPE/{path}"), 404, "batch_not_found")
    assert _kinds(ebr, batch_id) == []
    assert await audit_entries(ebr, batch_id=batch_id, entity=path.split(".")[0]) == []
