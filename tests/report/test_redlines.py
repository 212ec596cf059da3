"""The report of a batch with redlines (batch B-R): a section that lists each redline with its
signed proposal and decision, the changed steps in the master's version beside the batch's; the
procedure as the batch ran it; and ``verify-pdf`` finding every redline record where it belongs."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from ebr.report.history import SECTIONS
from ebr.report.loading import load_history
from ebr.report.render import render_pdf
from ebr.report.verify_pdf import verify_report_pdf
from tests.report.conftest import Report
from tests.report.redlined import BATCH, MIXER, REASON, REJECTION, add_redlined_batch
from tests.report.test_decisions import _pdftotext, _squashed
from tests.verification.site import SITE_NAME


@pytest.fixture(scope="module")
def redlined(report: Report) -> Report:
    add_redlined_batch(report.site)
    with Session(report.site.engine) as session:
        history = load_history(session=session, batch_id=BATCH)
    unsigned = render_pdf(history, ca_certificate=report.ca, site=SITE_NAME)
    made = Report(report.site, history, report.document_key, unsigned, b"")
    made.signed = made.seal(unsigned)
    return made


def test_the_history_lists_each_redline_with_both_versions_of_its_steps(
    redlined: Report,
) -> None:
    history = redlined.history
    approved, rejected = history.redlines
    assert (approved.redline_id, approved.status) == (f"{BATCH}-RL1", "Approved")
    assert (rejected.redline_id, rejected.status) == (f"{BATCH}-RL2", "Rejected")
    assert [s.manifestation.meaning.value for s in approved.signatures] == ["proposed", "approved"]
    assert approved.signatures[0].reason == REASON
    assert rejected.signatures[1].reason == REJECTION
    sample, mixer = approved.steps
    assert sample.title == "sample: Take a retained sample (added by a redline)"
    limits = next(line for line in sample.lines if line.aspect == "Limits of Sample mass")
    assert (limits.master, limits.batch) == ("(not in the master)", "45 to 55 g")
    told = next(line for line in mixer.lines if line.aspect == "Instructions")
    assert (told.master, told.batch) == ("Do mixer as the SOP says.", MIXER)
    (note,) = rejected.steps
    timers = next(line for line in note.lines if line.aspect == "Time limits")
    assert timers.master == timers.batch == "none"  # rejected: the batch ran the master's
    steps = [s.step_id for s in history.steps()]
    assert steps == ["read-sop", "weigh-api", "clean-check", "sample", "mixer", "note"]
    assert history.steps()[3].records[0].values[0].limits == "45 to 55 g"
    assert [r.exception_id for r in history.reviews] == [f"redline:{BATCH}-RL1"]


def test_the_pdf_shows_the_redlines_and_verifies(redlined: Report) -> None:
    text = _squashed(_pdftotext(redlined.signed))
    section = text.split(_squashed(SECTIONS["redlines"]))[1].split(
        _squashed(SECTIONS["procedure"])
    )[0]
    for words in (
        f"Redline {BATCH}-RL1: Proposed by Sam Lindqvist (sam)",
        f"Redline {BATCH}-RL1: Approved by Quinn Moreau (quinn)",
        f"Redline {BATCH}-RL2: Rejected by Quinn Moreau (quinn)",
        f"Reason: {REASON}",
        "Master recipe",
        "This batch",
        MIXER,
    ):
        assert _squashed(words) in section, words
    verified = verify_report_pdf(redlined.signed, redlined.ca)
    assert verified.decisions == 4 and verified.records_signed == 10
