"""The ``ebr verify-pdf`` command's body (registered in ``ebr.cli``): check a signed report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from ebr.settings import Settings
from ebr.verification.files import ca_path, read_certificate
from ebr.verification.findings import SetupProblem

__all__ = ["verify_pdf"]

console = Console()
errors = Console(stderr=True)


def verify_pdf(
    pdf: Annotated[Path, typer.Argument(help="The signed batch report (PDF) to verify.")],
    ca: Annotated[
        Path | None,
        typer.Option("--ca", help="The site CA certificate (default: pki/ca-cert.pem)."),
    ] = None,
    tsa_ca: Annotated[
        Path | None,
        typer.Option(
            "--tsa-ca",
            help="The root certificate a time-stamping authority must chain to "
            "(default: the site CA).",
        ),
    ] = None,
    require_timestamp: Annotated[
        bool,
        typer.Option(
            "--require-timestamp", help="Refuse a signature without a time-stamp token (B-B)."
        ),
    ] = False,
) -> None:
    """Verify a batch report offline: its signature, attached records and visible content.

    The document signature is PAdES B-B, or B-T when it carries a time-stamp token, which must
    then validate and chain to the TSA root (``--tsa-ca``, else the site CA).
    Exit 1 when the report fails a check (the reason is printed), 2 when it cannot be read.
    """
    try:
        anchor_path = ca if ca is not None else ca_path(Settings().resolved_data_dir, None)
        anchor = read_certificate(anchor_path, "site CA certificate")
        tsa_roots = None if tsa_ca is None else [read_certificate(tsa_ca, "TSA root certificate")]
        data = pdf.read_bytes()
    except SetupProblem as problem:
        errors.print(f"[red]error:[/] {escape(problem.message)}")
        raise typer.Exit(code=2) from None
    except OSError as exc:
        errors.print(f"[red]error:[/] cannot read {escape(str(pdf))}: {escape(exc.strerror or '')}")
        raise typer.Exit(code=2) from None
    # Imported here: pyHanko and pypdf take a while to load, and every ebr command loads cli.py.
    from ebr.report.verify_pdf import PdfRefused, verify_report_pdf

    try:
        result = verify_report_pdf(
            data, anchor, tsa_roots=tsa_roots, require_timestamp=require_timestamp
        )
    except PdfRefused as refused:
        console.print(f"[red]FAILED[/] {escape(str(pdf))}")
        console.print(f"  {escape(refused.stage)}: {escape(refused.reason)}")
        raise typer.Exit(code=1) from None
    signature = result.signature
    signed_at = signature.signed_at.isoformat() if signature.signed_at else "?"
    console.print(f"[green]OK[/] {escape(str(pdf))}: batch {escape(result.batch_number)}")
    console.print(
        f"  document signature: PAdES {signature.level}, {escape(signature.signer)}, "
        f"{signed_at}, whole file"
    )
    if signature.timestamped_at is not None:
        console.print(
            f"  time-stamp: {signature.timestamped_at.isoformat()} "
            f"from {escape(signature.time_stamp_authority or '?')}, token valid"
        )
    console.print(f"  certificates: {result.certificates} issued by the site CA")
    console.print(
        f"  records: {result.records_signed} signatures and the batch's hash chain verify "
        f"({result.decisions} of them decisions)"
    )
    console.print(f"  audit entries: {result.audit_entries}, each logging what it says")
    console.print(
        f"  visible content: every signed record, value and decision is shown ({result.pages} pages)"
    )
