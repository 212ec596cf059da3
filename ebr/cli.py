"""The ``ebr`` command: the composition root that wires settings, store, Temporal and the API."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

from ebr import dry_run_command, recipe_commands, runtime, user_commands
from ebr.domain.refusals import Refusal
from ebr.report import commands as report_commands
from ebr.settings import Settings
from ebr.verification import commands as verification_commands
from ebr.verification.ca_commands import ca_app

app = typer.Typer(
    help="ebr: electronic batch records on durable Temporal workflows.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The record store.", no_args_is_help=True)
recipe_app = typer.Typer(help="Master recipes.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_commands.app, name="user")
app.add_typer(recipe_app, name="recipe")
app.add_typer(ca_app, name="ca")
app.command("verify")(verification_commands.verify)
app.command("export")(verification_commands.export)
app.command("checkpoint")(verification_commands.checkpoint)
app.command("verify-pdf")(report_commands.verify_pdf)
recipe_app.command("simulate")(dry_run_command.simulate)
recipe_app.command("load")(recipe_commands.load)
recipe_app.command("list")(recipe_commands.listing)
recipe_app.command("diff")(recipe_commands.diff)

console = Console()
errors = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    errors.print(f"[red]error:[/] {message}")
    return typer.Exit(code=1)


@app.command()
def up(
    no_demo: Annotated[bool, typer.Option("--no-demo", help="Start with no demo data.")] = False,
) -> None:
    """Start everything on this machine: Temporal dev server, worker and API (Ctrl-C stops)."""
    settings = Settings()
    runtime.run(lambda: runtime.run_all(settings, demo=not no_demo))


@app.command()
def worker() -> None:
    """Run a Temporal worker for batches (production: run several)."""
    settings = Settings()
    runtime.run(lambda: runtime.run_worker(settings))


@app.command()
def api() -> None:
    """Run the HTTP API (production)."""
    settings = Settings()
    runtime.run(lambda: runtime.run_api(settings))


@app.command()
def demo(
    recipe: Annotated[str, typer.Option(help="Recipe code to run.")] = "GRAN-PCM500",
    version: Annotated[int, typer.Option(help="Recipe version.")] = 1,
    url: Annotated[str | None, typer.Option(help="API base URL.")] = None,
    with_deviation: Annotated[
        bool,
        typer.Option(
            "--with-deviation",
            help="Enter one value out of its limits, take its deviation through investigation, "
            "classification and disposition, review the exceptions and release the batch.",
        ),
    ] = False,
) -> None:
    """Drive one whole batch through the HTTP API as operator, supervisor and QA."""
    import httpx

    from ebr.demo import DemoError, run_demo

    settings = Settings()
    base = url or f"http://{settings.api_host}:{settings.api_port}"
    try:
        run_demo(base, recipe, version, console, with_deviation=with_deviation)
    except DemoError as exc:
        raise _fail(str(exc)) from None
    except (OSError, httpx.TransportError) as exc:
        raise _fail(f"cannot reach the API at {base} ({exc}); start it with `ebr up`") from None


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the record store to the current schema."""
    settings = Settings()
    runtime.prepare_store(settings).dispose()
    console.print(f"record store is current: {_redacted(settings.resolved_database_url)}")


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    try:
        app()
    except Refusal as exc:
        errors.print(f"[red]error:[/] {exc.message}")
        sys.exit(1)
