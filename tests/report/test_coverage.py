"""A report carries the audit checkpoint that covers its batch: verify-pdf checks the checkpoint's
signature against the site CA and each attached entry's inclusion proof; a forged proof or a
checkpoint signed by another key is refused at ``checkpoint.json``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import Session

from activities.audit_log import AuditLogActivities
from ebr.report.coverage import covering_checkpoint
from ebr.report.render import attachments_of, render_pdf
from ebr.report.verify_pdf import PdfRefused, verify_report_pdf
from signatures.checkpoints import Checkpoint, sign_checkpoint
from signatures.keys import generate_key
from tests.report.conftest import Report


@pytest.fixture(scope="module")
def covered(report: Report) -> Report:
    """B-C's report once a checkpoint covers its entries, as the worker issues it."""
    site = report.site
    AuditLogActivities(site.engine, site.site.trust).write_checkpoint()
    with Session(site.engine) as session:
        coverage = covering_checkpoint(
            session=session,
            entries=report.history.evidence_audit,
            certificate=site.site.trust.checkpoint_certificate,
        )
    assert coverage is not None
    history = report.history.model_copy(update={"evidence_checkpoint": coverage})
    unsigned = render_pdf(history, ca_certificate=report.ca, site="Verification Test Site")
    return Report(site, history, report.document_key, unsigned, report.seal(unsigned))


def _sealed(covered: Report, coverage: dict[str, Any]) -> bytes:
    history = covered.history.model_copy(update={"evidence_checkpoint": coverage})
    files = attachments_of(history, ca_certificate=covered.ca)
    return covered.seal(render_pdf(history, ca_certificate=covered.ca, files=files))


def _refused(covered: Report, pdf: bytes) -> tuple[str, str]:
    with pytest.raises(PdfRefused) as caught:
        verify_report_pdf(pdf, covered.ca)
    return caught.value.stage, caught.value.reason


def test_a_covered_report_verifies_its_checkpoint_and_proofs(covered: Report) -> None:
    result = verify_report_pdf(covered.signed, covered.ca)
    checkpoint = covered.history.evidence_checkpoint
    assert checkpoint is not None
    assert result.checkpoint_size == checkpoint["checkpoint"]["tree_size"]
    assert result.audit_entries == len(covered.history.evidence_audit) > 0


def test_a_report_without_a_checkpoint_still_verifies_and_says_so(report: Report) -> None:
    assert verify_report_pdf(report.signed, report.ca).checkpoint_size is None


def test_a_forged_inclusion_proof_is_refused(covered: Report) -> None:
    coverage = json.loads(json.dumps(covered.history.evidence_checkpoint))
    idx, proof = next(iter(coverage["proofs"].items()))
    proof[0] = "00" * 32
    stage, reason = _refused(covered, _sealed(covered, coverage))
    assert stage == "checkpoint.json"
    assert f"idx {idx} is not in the log the checkpoint" in reason


def test_a_checkpoint_signed_by_another_key_is_refused(covered: Report) -> None:
    coverage = json.loads(json.dumps(covered.history.evidence_checkpoint))
    real = Checkpoint.from_json(json.dumps(coverage["checkpoint"]))
    forged = sign_checkpoint(generate_key(), origin=real.origin, tree_size=real.tree_size,
                             root_hash=real.root_hash, timestamp=real.timestamp)  # fmt: skip
    coverage["checkpoint"] = json.loads(forged.to_json())
    stage, reason = _refused(covered, _sealed(covered, coverage))
    assert stage == "checkpoint.json" and "the checkpoint is refused" in reason


def test_no_coverage_while_the_batch_has_entries_after_the_latest_checkpoint(
    report: Report,
) -> None:
    entries = [{**report.history.evidence_audit[-1], "idx": 10**6}]
    with Session(report.site.engine) as session:
        assert covering_checkpoint(session=session, entries=entries,
                                   certificate=report.site.site.trust.checkpoint_certificate) is None  # fmt: skip
