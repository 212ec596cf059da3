"""The ``ebr verify``, ``ebr export`` and ``ebr checkpoint`` commands (registered in ``ebr.cli``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from ebr.settings import Settings
from ebr.verification.bundle import export_bundle
from ebr.verification.bundle_check import verify_bundle
from ebr.verification.files import (
    ca_path,
    checkpoint_cert_path,
    read_certificate,
    read_checkpoint,
)
from ebr.verification.findings import Inconsistency, SetupProblem
from ebr.verification.render import print_bundle_summary, print_inconsistency, print_summary
from ebr.verification.store import open_reader, verify_store
from ebr.witness import WitnessUnreadable, witnessed_checkpoints
from signatures.checkpoints import Checkpoint

__all__ = ["checkpoint", "export", "guarded", "verify"]

console = Console()
errors = Console(stderr=True)
T = TypeVar("T")

CaOption = Annotated[
    Path | None, typer.Option("--ca", help="The site CA certificate (default: pki/ca-cert.pem).")
]


def guarded(run: Callable[[], T]) -> T:
    """Run a command body: an inconsistency exits 1, a setup problem exits 2, neither traces."""
    try:
        return run()
    except Inconsistency as problem:
        print_inconsistency(console, problem)
        raise typer.Exit(code=1) from None
    except SetupProblem as problem:
        errors.print(f"[red]error:[/] {escape(problem.message)}")
        raise typer.Exit(code=2) from None


def verify(
    ca: CaOption = None,
    checkpoint_cert: Annotated[
        Path | None,
        typer.Option(help="The checkpoint certificate (default: pki/checkpoint-cert.pem)."),
    ] = None,
    since: Annotated[
        Path | None, typer.Option(help="A checkpoint saved earlier: the log must extend it.")
    ] = None,
    save_checkpoint: Annotated[
        Path | None, typer.Option(help="After success, save the latest checkpoint to this file.")
    ] = None,
    bundle: Annotated[
        Path | None, typer.Option(help="Verify an exported bundle instead of the store.")
    ] = None,
    witness: Annotated[
        Path | None,
        typer.Option(help="The witness directory of checkpoints (default: EBR_WITNESS_DIR)."),
    ] = None,
) -> None:
    """Verify every signed record and chain, the audit log and its checkpoints offline (exit 1:
    tampered)."""
    if bundle is not None:
        guarded(lambda: _verify_bundle(bundle, ca))
        return
    settings = Settings()
    data_dir = settings.resolved_data_dir

    def run() -> None:
        anchor = read_certificate(ca_path(data_dir, ca), "site CA certificate")
        cert = read_certificate(
            checkpoint_cert_path(data_dir, checkpoint_cert), "checkpoint certificate"
        )
        saved = read_checkpoint(since) if since is not None else None
        witnessed = _witnessed(witness or settings.witness_dir)
        engine = open_reader(settings.resolved_database_url)
        try:
            summary = verify_store(
                engine, ca=anchor, checkpoint_certificate=cert, since=saved, witnessed=witnessed
            )
        finally:
            engine.dispose()
        print_summary(console, summary)
        if save_checkpoint is not None:
            if summary.latest is None:
                raise SetupProblem("the audit log has no checkpoint to save yet")
            _write(save_checkpoint, summary.latest.to_json())
            console.print(
                f"saved checkpoint of size {summary.latest.tree_size} to {save_checkpoint}"
            )

    guarded(run)


def _witnessed(directory: Path | None) -> list[Checkpoint]:
    """The witness's checkpoints; a witness named but unreadable or empty is a setup problem
    (verifying without it would say less than was asked)."""
    if directory is None:
        return []
    try:
        found = witnessed_checkpoints(directory)
    except (OSError, WitnessUnreadable) as exc:
        raise SetupProblem(f"cannot read the witness {directory}: {exc}") from None
    if not found:
        raise SetupProblem(f"the witness {directory} holds no checkpoint")
    return found


def _verify_bundle(path: Path, ca: Path | None) -> None:
    anchor = read_certificate(ca, "CA certificate") if ca is not None else None
    try:
        data: Any = json.loads(path.read_bytes())
    except OSError as exc:
        raise SetupProblem(f"cannot read the bundle {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise SetupProblem(f"{path} is not JSON: {exc}") from None
    print_bundle_summary(console, verify_bundle(data, ca=anchor))


def export(
    batch: Annotated[str, typer.Option("--batch", help="The batch id to export.")],
    out: Annotated[Path, typer.Option("--out", help="The bundle file to write.")],
) -> None:
    """Export one batch as a self-contained JSON bundle (verify it with `ebr verify --bundle`)."""
    settings = Settings()
    data_dir = settings.resolved_data_dir

    def run() -> None:
        anchor = read_certificate(ca_path(data_dir, None), "site CA certificate")
        cert = read_certificate(checkpoint_cert_path(data_dir, None), "checkpoint certificate")
        engine = open_reader(settings.resolved_database_url)
        try:
            bundle = export_bundle(engine, batch_id=batch, ca=anchor, checkpoint_certificate=cert)
        finally:
            engine.dispose()
        summary = verify_bundle(bundle, ca=anchor)  # never hand out a bundle that fails
        _write(out, json.dumps(bundle, indent=1, sort_keys=True) + "\n")
        console.print(
            f"exported batch {escape(batch)}: {summary.records} signed records "
            f"({summary.decisions} decisions), "
            f"{summary.audit_entries} audit entries proven in checkpoint size "
            f"{summary.checkpoint_size} → {out}"
        )

    guarded(run)


def checkpoint() -> None:
    """Sign a checkpoint of the audit log now (what the worker's schedule does)."""
    from temporalio.exceptions import ApplicationError

    from activities.audit_log import AuditLogActivities
    from ebr import runtime

    settings = Settings()

    def run() -> None:
        engine = runtime.prepare_store(settings)
        try:
            trust = runtime.site_trust(settings)
            written = AuditLogActivities(engine, trust, settings.witness_dir).write_checkpoint()
        except ApplicationError as conflict:  # the witness holds another checkpoint
            raise Inconsistency(table="audit_log", entry="witness", problem=str(conflict)) from None
        except OSError as exc:
            raise SetupProblem(f"cannot write the witness {settings.witness_dir}: {exc}") from None
        finally:
            engine.dispose()
        state = "signed" if written.created else "already signed"
        console.print(
            f"checkpoint {state}: tree size {written.tree_size}, root {written.root_hash}"
        )

    guarded(run)


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise SetupProblem(f"cannot write {path}: {exc.strerror}") from None
