"""Laying out a ``BatchHistory`` as a PDF/A-3b with its evidence attached (WeasyPrint)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

import weasyprint  # type: ignore[import-untyped]  # WeasyPrint ships no type information
from cryptography import x509
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ebr.report.decisions import caption
from ebr.report.history import (
    APPENDIX_TITLE,
    ATTACHMENTS,
    REPORT_FORMAT,
    SECTIONS,
    BatchHistory,
    DecisionLine,
    Manifestation,
)
from signatures.ca import certificate_pem

__all__ = [
    "APPENDIX_TITLE",
    "ATTACHMENTS",
    "REPORT_FORMAT",
    "attachments_of",
    "render_html",
    "render_pdf",
]

TEMPLATES = Path(__file__).parent / "templates"

_env = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True
)


def render_html(
    history: BatchHistory,
    *,
    site: str = "",
    zone: tzinfo = UTC,
    generated_at: datetime,
    draft: bool | None = None,
) -> str:
    """The report's HTML: cover, exceptions, optional sections, one table per step, audit trail.

    ``draft`` (default: the batch is neither released nor rejected) marks every page NOT RELEASED.
    """

    def when(moment: datetime) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")

    def sig(m: Manifestation) -> str:
        return (
            f"{m.meaning.value.capitalize()} by {m.full_name} ({m.user_id}) "
            f"on {when(m.at)} at station {m.station}"
        )

    def decided(d: DecisionLine) -> str:
        """A decision's signature in the words ``decisions.PLACES`` gives its kind."""
        return caption(d.subject, sig(d.manifestation), d.meaning)

    optional = [
        (SECTIONS["timers"], history.timer_events),
        (SECTIONS["materials"], history.materials),
    ]
    # The review's own exceptions, and any QA marked; the step exceptions are listed above.
    reviewed = [r for r in history.reviews if r.reviewed_by or r.kind not in _STEP_KINDS]
    return _env.get_template("report.html").render(
        h=history,
        status=history.status.replace("_", " ").capitalize(),
        site=site,
        when=when,
        sig=sig,
        decided=decided,
        optional=optional,
        reviewed=reviewed,
        sections=SECTIONS,
        appendix=APPENDIX_TITLE,
        zone=generated_at.astimezone(zone).strftime("%Z") or str(zone),
        generated_at=generated_at,
        draft=not history.final if draft is None else draft,
    )


def attachments_of(history: BatchHistory, *, ca_certificate: x509.Certificate) -> dict[str, bytes]:
    """The files embedded in the PDF, by name: records.json, audit.json, certificates.pem, and
    checkpoint.json when a checkpoint covers the audit entries (``ebr.report.coverage``)."""
    records = {
        "format": REPORT_FORMAT,
        "batch_id": history.batch_id,
        "batch_number": history.batch_number,
        "recipe_hash": history.recipe_hash,
        "records": list(history.evidence_records),
    }
    audit = {
        "format": REPORT_FORMAT,
        "batch_id": history.batch_id,
        "entries": list(history.evidence_audit),
    }
    files = {
        "records.json": _json(records),
        "audit.json": _json(audit),
        "certificates.pem": (history.certificates_pem + certificate_pem(ca_certificate)).encode(),
    }
    if history.evidence_checkpoint is not None:
        files["checkpoint.json"] = _json(history.evidence_checkpoint)
    return files


def render_pdf(
    history: BatchHistory,
    *,
    ca_certificate: x509.Certificate,
    site: str = "",
    zone: tzinfo = UTC,
    generated_at: datetime | None = None,
    files: dict[str, bytes] | None = None,
    draft: bool | None = None,
) -> bytes:
    """Render the report as an A4 PDF/A-3b whose attachments are PDF/A-3 associated files.

    ``files`` replaces the attachments (``attachments_of``) and exists for tests that forge a
    document; a real report never passes it. WeasyPrint marks each attachment in the catalog's
    ``/AF`` array with ``/AFRelationship /Data``, as PDF/A-3 asks. ``draft``: as in
    ``render_html``.
    """
    html = render_html(
        history,
        site=site,
        zone=zone,
        generated_at=generated_at or datetime.now(UTC),
        draft=draft,
    )
    embedded = (
        files if files is not None else attachments_of(history, ca_certificate=ca_certificate)
    )
    attachments = [
        weasyprint.Attachment(
            string=data, name=name, description=_DESCRIPTIONS.get(name, name), relationship="Data"
        )
        for name, data in embedded.items()
    ]
    document = weasyprint.HTML(string=html, base_url=str(TEMPLATES))
    stylesheet = weasyprint.CSS(filename=str(TEMPLATES / "report.css"))
    pdf = document.write_pdf(
        stylesheets=[stylesheet],
        pdf_variant="pdf/a-3b",
        attachments=attachments,
        uncompressed_pdf=False,
    )
    assert isinstance(pdf, bytes)
    return pdf


_STEP_KINDS = ("out of limit", "correction", "comment")

_DESCRIPTIONS = {
    "records.json": "Every signed record: payload, signature, key id, record hash, previous hash",
    "audit.json": "The batch's audit trail entries with canonical text and leaf hashes",
    "certificates.pem": "The signers' certificates and the site CA certificate",
}


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
