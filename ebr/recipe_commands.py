"""The ``ebr recipe`` commands that go through change control (registered in ``ebr.cli``).

``load`` saves a draft as a named author through the running server's API, like the pages do: the
recipe's workflow writes it, the author's password is checked, and nothing reaches the store by
another way. ``list`` and ``diff`` only read the store.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ebr import runtime
from ebr.domain.recipe_diff import RecipeDiff, StepChange, diff_recipes
from ebr.settings import Settings
from ebr.store.db import session_scope
from ebr.store.recipe_versions import recipe_versions
from ebr.store.recipes import get_recipe, list_recipes, recipe_of

__all__ = ["diff", "listing", "load"]

console = Console()
errors = Console(stderr=True)
PASSWORD_ENV = "EBR_PASSWORD"


def load(
    path: Path,
    user: Annotated[str, typer.Option("--user", help="The author saving the draft (your id).")],
    url: Annotated[
        str | None, typer.Option(help="The ebr server (default: the configured API address).")
    ] = None,
) -> None:
    """Save a recipe file as a draft version, as its author (asks for your password, or reads
    it from EBR_PASSWORD). Review and approval follow on the pages or the API."""
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise _fail(f"cannot read {path}: {exc.strerror}") from None
    password = os.environ.get(PASSWORD_ENV) or typer.prompt(f"Password of {user}", hide_input=True)
    base = url or _api_url(Settings())
    try:
        with httpx.Client(base_url=base, timeout=120.0) as http:
            token = _call(
                http.post("/api/auth/token", data={"username": user, "password": password})
            )
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            answer = http.post(
                "/api/recipes",
                content=source.encode("utf-8"),
                headers={**headers, "Content-Type": "application/yaml"},
            )
            saved = _call(answer)
    except httpx.TransportError as exc:
        raise _fail(
            f"cannot reach the ebr server at {base} ({exc}); is `ebr up` running?"
        ) from None
    state = "saved" if answer.status_code == 201 else "already saved"
    console.print(
        f"{state}: {saved['code']} v{saved['version']} as a draft by {user}, "
        f"sha256 {saved['content_hash']}"
    )


def listing(
    code: Annotated[str | None, typer.Argument(help="Only this recipe code.")] = None,
) -> None:
    """Every recipe version with its state now, its author and when it is effective."""
    engine = runtime.prepare_store(Settings())
    now = datetime.now(UTC)
    table = Table("recipe", "version", "state", "author", "effective from", "superseded at")
    with session_scope(engine) as session:
        for found in sorted({row.code for row in list_recipes(session=session, code=code)}):
            for version in recipe_versions(session=session, code=found):
                table.add_row(
                    found,
                    str(version.version),
                    version.state_at(now).label,
                    version.author,
                    _when(version.effective_from if version.approved else None),
                    _when(version.superseded_at),
                )
    console.print(table)


def diff(
    code: str,
    before: Annotated[int, typer.Argument(help="The earlier version.")],
    after: Annotated[int, typer.Argument(help="The later version.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the diff as JSON.")] = False,
) -> None:
    """What changed from one version of a recipe to another: steps added, removed, moved, and
    each field changed, before and after."""
    engine = runtime.prepare_store(Settings())
    with session_scope(engine) as session:
        recipes = []
        for number in (before, after):
            row = get_recipe(session=session, code=code, version=number)
            if row is None:
                raise _fail(f"there is no recipe {code} v{number}")
            recipes.append(recipe_of(row))
    found = diff_recipes(recipes[0], recipes[1])
    if as_json:
        console.print_json(found.model_dump_json())
        return
    _print_diff(found)


def _print_diff(found: RecipeDiff) -> None:
    title = f"{found.code}: v{found.before_version} → v{found.after_version}"
    table = Table("step", "change", "field", f"v{found.before_version}", f"v{found.after_version}",
                  title=title, show_lines=True)  # fmt: skip
    for change in found.header:
        table.add_row(
            "(recipe)", "changed", change.field, _shown(change.before), _shown(change.after)
        )
    for step in found.steps:
        if step.change is StepChange.UNCHANGED and not step.moved:
            continue
        where = f"{step.before_place or '-'} #{step.before_position or '-'}"
        now = f"{step.after_place or '-'} #{step.after_position or '-'}"
        table.add_row(escape(step.step_id), step.change.label, "place", where, now)
        for change in step.fields:
            table.add_row("", "", change.field, _shown(change.before), _shown(change.after))
    if table.row_count == 0:
        console.print(f"{title}: no differences")
        return
    console.print(table)


def _shown(value: Any) -> str:
    if value is None:
        return "-"
    return escape(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))


def _when(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M %Z") if moment else "-"


def _api_url(settings: Settings) -> str:
    return f"http://{settings.api_host}:{settings.api_port}"


def _call(response: httpx.Response) -> Any:
    """The answer's JSON, or the refusal's words (and each problem's place) and exit 1."""
    if response.status_code < 400:
        return response.json()
    try:
        body = response.json()
    except ValueError:
        raise _fail(f"the server answered {response.status_code}") from None
    for problem in body.get("details") or []:
        if isinstance(problem, dict) and "message" in problem:
            where = problem.get("where") or problem.get("field") or "-"
            errors.print(f"  {escape(str(where))}: {escape(str(problem['message']))}")
    raise _fail(str(body.get("message") or body.get("detail") or response.status_code))


def _fail(message: str) -> typer.Exit:
    errors.print(f"[red]error:[/] {escape(message)}")
    return typer.Exit(code=1)
