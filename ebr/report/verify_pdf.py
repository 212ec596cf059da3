"""Verifying a signed batch report offline (``ebr verify-pdf``): signature, evidence, content.

Trusts only the site CA certificate it is given (and, for a time-stamp token, the TSA roots it is
given). Checks, in order: the PAdES document signature, B-B or B-T with its time-stamp token
(``signatures.pdf.verify_pdf_signature``); the attached certificates (issued by the CA); every
attached record (payload, Ed25519 signature with its certificate, the batch's hash chain, via
``ebr.verification``); the attached audit entries; and that the visible text shows every
signed record: its signer's name and id with the meaning, and each value as printed. A signed
decision is looked for where ``ebr.report.decisions.PLACES`` puts its subject's kind, in the
words the report introduces it with: the release or rejection on the cover, a deviation's
disposition under its deviation, a hold's lift under its hold, each with its reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO

from cryptography import x509
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from ebr.domain.meanings import Meaning
from ebr.domain.values import RecordedValue
from ebr.report.coverage import CoverageRefused, check_coverage
from ebr.report.decisions import PLACES, caption
from ebr.report.evidence_check import (
    EvidenceRefused,
    check_audit,
    check_certificates,
    check_records_file,
)
from ebr.report.history import APPENDIX_TITLE, ATTACHMENTS, SECTIONS, display_value
from ebr.verification.evidence import RecordEvidence
from signatures.pdf import BadDocumentSignature, DocumentSignature, verify_pdf_signature

__all__ = ["PdfRefused", "PdfVerification", "verify_report_pdf"]

_SPACE = re.compile(r"\s+")


class PdfRefused(Exception):
    """The report fails verification: ``stage`` says which check, ``reason`` exactly why."""

    def __init__(self, stage: str, reason: str) -> None:
        super().__init__(f"{stage}: {reason}")
        self.stage = stage
        self.reason = reason


@dataclass(frozen=True)
class PdfVerification:
    """What a successful verification covered."""

    signature: DocumentSignature
    batch_id: str
    batch_number: str
    pages: int
    certificates: int
    records_signed: int
    decisions: int
    audit_entries: int
    checkpoint_size: int | None = None  # the covering checkpoint's, when the report has one


def verify_report_pdf(
    pdf_bytes: bytes,
    ca_cert: x509.Certificate,
    *,
    tsa_roots: Sequence[x509.Certificate] | None = None,
    require_timestamp: bool = False,
) -> PdfVerification:
    """Verify a signed batch report against the site CA; return what was covered.

    A B-T signature's time-stamp token must chain to one of ``tsa_roots`` (default: the site
    CA); ``require_timestamp`` refuses a B-B signature.

    Raises:
        PdfRefused: at the first failing check, with its stage (``document signature``,
            ``attachments``, ``certificates.pem``, ``records.json``, ``audit.json``,
            ``visible content``) and a precise reason.
    """
    try:
        signature = verify_pdf_signature(
            pdf_bytes, ca_cert, tsa_roots=tsa_roots, require_timestamp=require_timestamp
        )
    except BadDocumentSignature as exc:
        raise PdfRefused("document signature", exc.message) from None
    try:
        reader = PdfReader(BytesIO(pdf_bytes))
        files = _attachments(reader)
        keys = check_certificates(files["certificates.pem"], ca_cert)
        records = check_records_file(files["records.json"], keys)
        audit_entries = check_audit(files["audit.json"], records)
        covered = _covered(files, ca_cert)
        text = _text(reader)
    except EvidenceRefused as exc:
        raise PdfRefused(exc.where, exc.reason) from None
    except PyPdfError as exc:
        raise PdfRefused("attachments", f"the PDF cannot be read: {exc}") from None
    if _squash(records.batch_number) not in text:
        raise PdfRefused("visible content", f"batch number {records.batch_number} is not shown")
    sections = _sections(text)
    decisions = 0
    for record in records.records:
        if record.subject().kind.is_decision:
            _decision_shown(record, sections)
            decisions += 1
        else:
            _shown(
                record.record_id,
                record.meaning,
                record.user_name,
                record.user_id,
                record.values,
                text,
            )
    return PdfVerification(
        signature=signature,
        batch_id=records.batch_id,
        batch_number=records.batch_number,
        pages=len(reader.pages),
        certificates=len(keys),
        records_signed=len(records.records),
        decisions=decisions,
        audit_entries=audit_entries,
        checkpoint_size=covered,
    )


def _covered(files: dict[str, bytes], ca_cert: x509.Certificate) -> int | None:
    """The covering checkpoint's size, its proofs checked, or None when the report has none."""
    if "checkpoint.json" not in files:
        return None
    try:
        entries = json.loads(files["audit.json"])["entries"]
        return check_coverage(files["checkpoint.json"], entries, ca_cert)
    except CoverageRefused as exc:
        raise EvidenceRefused("checkpoint.json", str(exc)) from None


def _attachments(reader: PdfReader) -> dict[str, bytes]:
    found = reader.attachments
    files: dict[str, bytes] = {}
    for name in ATTACHMENTS:
        contents = found.get(name, [])
        if len(contents) != 1:
            what = "missing" if not contents else f"attached {len(contents)} times"
            raise PdfRefused("attachments", f"{name} is {what}")
        files[name] = contents[0]
    covering = found.get("checkpoint.json", [])
    if len(covering) > 1:
        raise PdfRefused("attachments", f"checkpoint.json is attached {len(covering)} times")
    if covering:
        files["checkpoint.json"] = covering[0]
    return files


def _shown(
    record_id: str, meaning: str, name: str, user_id: str, values: object, text: str
) -> None:
    """The record's manifestation and values, as the report prints them, are in ``text``."""
    signed_by = _signed_by(meaning, name, user_id)
    if _squash(signed_by) not in text:
        raise PdfRefused("visible content", f"record {record_id}: '{signed_by}' is not shown")
    for item in values if isinstance(values, list) else []:
        value = RecordedValue.model_validate(item)
        printed = display_value(value)
        if _squash(printed) not in text:
            raise PdfRefused(
                "visible content",
                f"record {record_id}: value {printed!r} of {value.name} is not shown",
            )


def _decision_shown(record: RecordEvidence, sections: dict[str, str]) -> None:
    """A signed decision is shown where ``PLACES`` puts its kind, naming its subject, with its
    reason. (records.json was checked first, so the record's subject is a valid one.)"""
    subject = record.subject()
    place = PLACES.get(subject.kind)
    if place is None:
        raise PdfRefused(
            "visible content",
            f"record {record.record_id}: a decision on a {subject.kind.label} has no place in "
            "a batch's report",
        )
    signed_by = _signed_by(record.meaning, record.user_name, record.user_id)
    shown = caption(subject, signed_by, Meaning(record.meaning))
    section = sections.get(place.section, "")
    if _squash(shown) not in section:
        raise PdfRefused(
            "visible content",
            f"record {record.record_id}: '{shown}' is not shown in the "
            f"{SECTIONS[place.section]!r} section",
        )
    if record.reason and _squash(f"Reason: {record.reason}") not in section:
        raise PdfRefused(
            "visible content",
            f"record {record.record_id}: its reason {record.reason!r} is not shown",
        )


def _sections(text: str) -> dict[str, str]:
    """The squashed text of each section present, cut at the next heading, in report order."""
    found: list[tuple[str, int]] = []
    cursor = 0
    for name, heading in SECTIONS.items():
        at = text.find(_squash(heading), cursor)
        if at >= 0:
            found.append((name, at))
            cursor = at + len(_squash(heading))
    ends = [at for _, at in found[1:]] + [len(text)]
    return {name: text[at:end] for (name, at), end in zip(found, ends, strict=True)}


def _signed_by(meaning: str, name: str, user_id: str) -> str:
    return f"{Meaning(meaning).value.capitalize()} by {name} ({user_id})"


def _text(reader: PdfReader) -> str:
    """The squashed text before the audit appendix (whose details quote values too)."""
    text = "".join(_squash(page.extract_text() or "") for page in reader.pages)
    return text.split(_squash(APPENDIX_TITLE), 1)[0]


def _squash(text: str) -> str:
    """Whitespace removed: table cells wrap lines where the layout needs, not where text does."""
    return _SPACE.sub("", text)
