"""A batch's machine-readable record: what a report attaches, as one JSON document.

The same pieces the PDF embeds (``ebr.report.evidence``): every signed record of the batch's
chain with its payload, signature, key id and hashes; the batch's audit entries in canonical
form with their leaf hashes; the signers' certificates and the site CA, as PEM. Decisions (on
the batch, its deviations, its holds) are records of the chain like its steps.
"""

from __future__ import annotations

from typing import Any

from cryptography import x509
from pydantic import BaseModel, ConfigDict
from sqlmodel import Session

from ebr.report.evidence import audit_evidence, certificates_of, record_evidence
from ebr.store.batches import get_batch
from ebr.store.errors import NotFound
from ebr.store.signed_records import list_batch_records
from signatures.ca import certificate_pem

__all__ = ["RECORD_FORMAT", "BatchRecord", "batch_record"]

RECORD_FORMAT = "ebr.batch-record/2"
"""``/2`` holds ``signed_records`` rows (``ebr.record/2`` payloads); ``/1`` held step records."""


class BatchRecord(BaseModel):
    """A batch's signed records, audit entries and certificates, enough to verify offline."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: str = RECORD_FORMAT
    batch_id: str
    batch_number: str
    recipe_hash: str
    status: str
    records: list[dict[str, Any]]
    audit: list[dict[str, Any]]
    certificates_pem: str


def batch_record(
    *, session: Session, batch_id: str, ca_certificate: x509.Certificate
) -> BatchRecord:
    """Read the batch's record from the store.

    Raises:
        NotFound: there is no such batch.
    """
    batch = get_batch(session=session, batch_id=batch_id)
    if batch is None:
        raise NotFound(f"batch {batch_id!r} does not exist", {"batch_id": batch_id})
    rows = list_batch_records(session=session, batch_id=batch_id)
    return BatchRecord(
        batch_id=batch.batch_id,
        batch_number=batch.batch_number,
        recipe_hash=batch.recipe_hash,
        status=batch.status,
        records=[record_evidence(row) for row in rows],
        audit=audit_evidence(session=session, batch_id=batch_id),
        certificates_pem=certificates_of(session=session, rows=rows)
        + certificate_pem(ca_certificate),
    )
