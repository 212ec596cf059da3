"""The ``ebr verify-pdf`` command's body (registered in ``ebr.cli``): check a signed report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from ebr.settings import Settings
from ebr.verification.files import ca_path, read_certificate
from ebr.verification.report import SetupProblem

__all__ = ["verify_pdf"]

console = Console()
errors = Console(stderr=True)


def verify_pdf(
    pdf: Annotated[Path, typer.Argument(help="The signed batch report (PDF) to verify.")],
    ca: Annotated[
        Path | None,
        typer.Option("--ca", help="The site CA certificate (default: pki/ca-cert.pem)."),
    ] = None,
) -> None:
    """Verify a batch report offline: its signature, attached records and visible content.

    Exit 1 when the report fails a check (the reason is printed), 2 when it cannot be read.
    """
    try:
        anchor_path = ca if ca is not None else ca_path(Settings().resolved_data_dir, None)
        anchor = read_certificate(anchor_path, "site CA certificate")
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
        result = verify_report_pdf(data, anchor)
    except PdfRefused as refused:
        console.print(f"[red]FAILED[/] {escape(str(pdf))}")
        console.print(f"  {escape(refused.stage)}: {escape(refused.reason)}")
        raise typer.Exit(code=1) from None
    signed_at = result.signature.signed_at.isoformat() if result.signature.signed_at else "?"
    console.print(f"[green]OK[/] {escape(str(pdf))}: batch {escape(result.batch_number)}")
    console.print(
        f"  document signature: {escape(result.signature.signer)}, {signed_at}, whole file"
    )
    console.print(f"  certificates: {result.certificates} issued by the site CA")
    console.print(
        f"  records: {result.records_signed} signatures and the hash chain verify"
        + (f"; {len(result.records_unsigned)} unsigned" if result.records_unsigned else "")
    )
    console.print(f"  audit entries: {result.audit_entries}, each logging what it says")
    console.print(
        f"  visible content: every signed record, value and decision is shown ({result.pages} pages)"
    )
