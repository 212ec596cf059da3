"""``ebr ca show`` and ``ebr ca export``: the site CA certificate auditors verify against."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ebr.settings import Settings
from ebr.verification.commands import guarded
from ebr.verification.files import ca_path, read_certificate
from ebr.verification.findings import SetupProblem
from signatures.ca import certificate_fingerprint, certificate_pem

__all__ = ["ca_app"]

ca_app = typer.Typer(help="The site certificate authority.", no_args_is_help=True)
console = Console()


@ca_app.command("show")
def show() -> None:
    """Show the site CA certificate: subject, SHA-256 fingerprint, validity."""

    def run() -> None:
        cert = read_certificate(ca_path(Settings().resolved_data_dir, None), "site CA certificate")
        table = Table("field", title="site CA certificate")
        table.add_column("value", overflow="fold")  # a fingerprint is useless cut short
        table.add_row("subject", cert.subject.rfc4514_string())
        table.add_row("fingerprint (SHA-256)", certificate_fingerprint(cert))
        for label, moment in (
            ("valid from", cert.not_valid_before_utc),
            ("valid until", cert.not_valid_after_utc),
        ):
            table.add_row(label, moment.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z"))
        console.print(table)

    guarded(run)


@ca_app.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", help="Where to write the PEM certificate.")],
) -> None:
    """Write the site CA certificate (PEM) for auditors: `ebr verify --ca FILE`."""

    def run() -> None:
        cert = read_certificate(ca_path(Settings().resolved_data_dir, None), "site CA certificate")
        try:
            out.write_text(certificate_pem(cert), encoding="ascii")
        except OSError as exc:
            raise SetupProblem(f"cannot write {out}: {exc.strerror}") from None
        console.print(f"wrote the site CA certificate ({certificate_fingerprint(cert)}) to {out}")

    guarded(run)
