"""Each verification test gets its own copy of a signed site, on SQLite and on PostgreSQL.

The site (users, keys, chains of every kind, checkpoints) is built once per backend per session;
every test then works on a clone (a copied SQLite file; a PostgreSQL ``CREATE DATABASE ...
TEMPLATE``), so attacks never leak between tests.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer
from sqlalchemy import Connection, Engine, create_engine
from typer.testing import CliRunner, Result

from ebr.store.db import make_engine, migrate, normalize_url
from ebr.trust import SiteTrust
from ebr.verification import commands
from ebr.verification.ca_commands import ca_app
from tests.dbfixtures import admin_url, postgres_database, sqlite_database
from tests.store.tamper import drop_guards
from tests.verification.site import Site, build_site, make_trust

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def commands_app() -> typer.Typer:
    """The verification commands, registered as ``ebr.cli`` registers them (``test_commands``
    checks that the real ``ebr`` has them); without the rest of the CLI, so these tests need
    neither the API nor the worker to import."""
    app = typer.Typer(no_args_is_help=True)
    app.add_typer(ca_app, name="ca")
    app.command("verify")(commands.verify)
    app.command("export")(commands.export)
    app.command("checkpoint")(commands.checkpoint)
    return app


APP = commands_app()


@dataclass
class Pristine:
    backend: str
    data_dir: Path
    url: str
    site: Site


@dataclass
class Store:
    """One test's own site: its data directory, database URL and a writable engine."""

    backend: str
    data_dir: Path
    url: str
    site: Site
    engine: Engine

    def tamper(self, edit: Callable[[Connection, Site], None], *, guards: bool = False) -> None:
        """Apply ``edit`` as an attacker with database access would: triggers dropped first."""
        with self.engine.begin() as connection:
            if not guards:
                drop_guards(connection)
            edit(connection, self.site)

    def ebr(self, *args: str, env: dict[str, str] | None = None) -> Result:
        base = {"EBR_DATA_DIR": str(self.data_dir), "EBR_DATABASE_URL": self.url, "COLUMNS": "200"}
        return CliRunner().invoke(APP, list(args), env={**base, **(env or {})})


@pytest.fixture(scope="session", params=BACKENDS)
def pristine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pristine]:
    data_dir = tmp_path_factory.mktemp(f"site-{request.param}") / "data"
    trust = make_trust(data_dir)
    if request.param == "sqlite":
        with sqlite_database(data_dir) as url:
            yield _built(request.param, data_dir, url, trust)
    else:
        with postgres_database() as url:
            yield _built(request.param, data_dir, url, trust)


def _built(backend: str, data_dir: Path, url: str, trust: SiteTrust) -> Pristine:
    migrate(url)
    engine = make_engine(url)
    try:
        site = build_site(engine, trust)
    finally:
        engine.dispose()
    return Pristine(backend=backend, data_dir=data_dir, url=url, site=site)


@pytest.fixture
def store(pristine: Pristine, tmp_path: Path) -> Iterator[Store]:
    data_dir = tmp_path / "data"
    shutil.copytree(pristine.data_dir, data_dir)
    if pristine.backend == "sqlite":
        with _opened(pristine, data_dir, f"sqlite:///{data_dir / 'ebr.db'}") as made:
            yield made
        return
    with _clone(pristine.url) as url, _opened(pristine, data_dir, url) as made:
        yield made


@contextmanager
def _opened(pristine: Pristine, data_dir: Path, url: str) -> Iterator[Store]:
    engine = make_engine(url)
    try:
        yield Store(pristine.backend, data_dir, url, pristine.site, engine)
    finally:
        engine.dispose()


@contextmanager
def _clone(template: str) -> Iterator[str]:
    """A new PostgreSQL database copied from ``template`` (which nobody may be connected to)."""
    server = normalize_url(admin_url())
    name = f"ebr_test_{secrets.token_hex(6)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            source = normalize_url(template).database
            connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


def flat(result: Result) -> str:
    """The command's output with rich's line wrapping undone."""
    return " ".join(result.output.split())
