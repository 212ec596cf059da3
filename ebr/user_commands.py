"""The ``ebr user`` commands (registered in ``ebr.cli``): accounts administered from the server's
shell, against the store directly, so they work while the API or Temporal is down.

Every change is signed by the person doing it, named with ``--by`` (asked for when missing) and
their password (``EBR_PASSWORD`` for scripts, else asked for, never echoed): an administrator
for an account's creation, roles, disabling, enabling, unlock and password reset, QA or a
supervisor for a person's identity. ``found`` enrols a site's first administrator, and
``unlock --break-glass`` lifts a lockout without a signature, audited with the operating system's
user, for when no administrator can sign in.
"""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from ebr import runtime
from ebr.accounts import (
    Controls,
    Signatory,
    change_roles,
    confirm_identity,
    create_user,
    disable_user,
    enable_user,
    found_site,
    open_signatory,
    reset_password,
    unlock,
    unlock_from_shell,
)
from ebr.domain.refusals import Refusal
from ebr.domain.roles import Role
from ebr.settings import Settings
from ebr.store.db import session_scope
from ebr.store.users import UserRow, list_users, roles_of

__all__ = ["app"]

app = typer.Typer(
    help="Users: enrolment, roles, access. Each change is signed.", no_args_is_help=True
)
console = Console()
errors = Console(stderr=True)
PASSWORD_ENV = "EBR_PASSWORD"

Reason = Annotated[
    str, typer.Option("--reason", help="Why (signed, and in the audit trail with who and where).")
]
By = Annotated[
    str,
    typer.Option("--by", prompt="Your user id (you sign this)", help="You, who sign this change."),
]
Initial = Annotated[
    str,
    typer.Option(
        "--initial-password",
        prompt="Initial password (the person must change it)",
        hide_input=True,
        confirmation_prompt=True,
        help="The password the person signs in with once, then changes.",
    ),
]


@app.command("found")
def found(
    user_id: str,
    name: Annotated[str, typer.Option("--name", help="Full name, as printed on signatures.")],
    reason: Reason = "the site's first administrator",
) -> None:
    """Enrol the site's first administrator, on a store with no account yet: you choose your own
    password here (EBR_PASSWORD, or asked twice), it wraps your signing key, and you sign your
    own creation. Then create the first QA or supervisor and confirm their identity; they
    confirm yours (README, "Enrolling a person")."""
    password = os.environ.get(PASSWORD_ENV) or typer.prompt(
        "Your password", hide_input=True, confirmation_prompt=True
    )
    settings = Settings()

    def act(engine: Engine) -> UserRow | Signatory:
        return found_site(
            engine,
            runtime.site_trust(settings).ca,
            user_id=user_id,
            full_name=name,
            password=password,
            station=_station(),
            reason=reason,
            now=datetime.now(UTC),
            controls=Controls.of(settings),
        )

    _run(act)
    console.print(f"founded the site with administrator {user_id} ({name}); your key is made")


@app.command("add")
def add(
    user_id: str,
    name: Annotated[str, typer.Option("--name", help="Full name, as printed on signatures.")],
    role: Annotated[list[Role], typer.Option("--role", help="A role; repeat for several.")],
    reason: Reason,
    by: By,
    initial_password: Initial,
) -> None:
    """Add a user, signed by you, an administrator: they must change the initial password at
    first sign-in (which also makes their signing key), and sign nothing until QA or a
    supervisor confirms their identity (``ebr user confirm``). User ids are never reused; users
    are disabled, never deleted; an administrator holds no GMP role."""
    _signed(by, partial(create_user, user_id=user_id, full_name=name, roles=role,
                        initial_password=initial_password, reason=reason,
                        controls=Controls.of(Settings())))  # fmt: skip
    console.print(
        f"added {user_id} ({name}) with roles {', '.join(r.value for r in role)}; they must set "
        "their own password at first sign-in, and QA or a supervisor confirm their identity"
    )


@app.command("confirm")
def confirm(user_id: str, reason: Reason, by: By) -> None:
    """Confirm, signed by you (QA or a supervisor), that the account's holder is the person it
    names; the reason says how (the identity document seen, in person). The account signs from
    then on."""
    user = _signed(by, partial(confirm_identity, user_id=user_id, reason=reason))
    console.print(f"confirmed the identity of {user.user_id} ({user.full_name})")


@app.command("roles")
def roles(
    user_id: str,
    role: Annotated[list[Role], typer.Option("--role", help="A role; repeat for several.")],
    reason: Reason,
    by: By,
) -> None:
    """Give an account other roles (all it holds from now), signed by you, an administrator;
    every session of the person ends."""
    user = _signed(by, partial(change_roles, user_id=user_id, roles=role, reason=reason))
    console.print(f"{user.user_id} now holds {', '.join(user.roles)}")


@app.command("disable")
def disable(user_id: str, reason: Reason, by: By) -> None:
    """Disable an account (never deleted), signed by you; every session of the person ends."""
    _act(disable_user, user_id, reason, by, "disabled")


@app.command("enable")
def enable(user_id: str, reason: Reason, by: By) -> None:
    """Enable a disabled account again, signed by you."""
    _act(enable_user, user_id, reason, by, "enabled")


@app.command("reset-password")
def reset(user_id: str, reason: Reason, by: By, initial_password: Initial) -> None:
    """Give the account a password you chose, signed by you: the person must change it at the
    next sign-in (it opens no signing key); every session of the person ends."""
    _signed(by, partial(reset_password, user_id=user_id, initial_password=initial_password,
                        reason=reason, controls=Controls.of(Settings())))  # fmt: skip
    console.print(f"reset the password of {user_id}; they must change it at the next sign-in")


@app.command("unlock")
def unlock_command(
    user_id: str,
    reason: Reason,
    by: Annotated[
        str | None, typer.Option("--by", help="You, the administrator who signs.")
    ] = None,
    break_glass: Annotated[
        bool,
        typer.Option(
            "--break-glass",
            help="No administrator can sign in: unlock unsigned, audited as cli:<OS user>.",
        ),
    ] = False,
) -> None:
    """Lift a lockout, signed by you (``--by``), or, when no administrator can sign in (say the
    last one is locked), with ``--break-glass``: audited as an unlock by ``cli:<OS user>`` at
    ``cli@<host>`` with the reason. The failure count restarts."""
    if break_glass:
        user = _run(
            lambda engine: unlock_from_shell(
                engine,
                user_id=user_id,
                operator=f"cli:{_os_user()}",
                station=_station(),
                reason=reason,
                now=datetime.now(UTC),
            )
        )
    else:
        signer = by or typer.prompt("Your user id (you sign this)")
        user = _signed(signer, partial(unlock, user_id=user_id, reason=reason))
    assert isinstance(user, UserRow)
    console.print(f"unlocked {user.user_id} ({user.full_name}); the reason is in the audit trail")


@app.command("list")
def listing() -> None:
    """List users, disabled ones included, with whose signature confirmed each identity."""
    engine = runtime.prepare_store(Settings())
    table = Table("user id", "name", "roles", "active", "identity confirmed by")
    try:
        with session_scope(engine) as session:
            for user in list_users(session=session):
                table.add_row(
                    user.user_id,
                    user.full_name,
                    ", ".join(r.value for r in roles_of(user)),
                    "yes" if user.active else "no",
                    user.identity_confirmed_by or "(not yet: signs nothing)",
                )
    finally:
        engine.dispose()
    console.print(table)


def _act(action: Callable[..., UserRow], user_id: str, reason: str, by: str, done: str) -> None:
    user = _signed(by, partial(action, user_id=user_id, reason=reason))
    console.print(f"{done} {user.user_id} ({user.full_name}); the reason is signed and audited")


def _signed(by: str, act: Callable[..., UserRow]) -> UserRow:
    """Open ``by``'s key with their password and run ``act(engine, signatory=..., now=...)``:
    the change, signed by them."""
    password = os.environ.get(PASSWORD_ENV) or typer.prompt(f"Password of {by}", hide_input=True)
    controls = Controls.of(Settings())

    def run(engine: Engine) -> UserRow:
        now = datetime.now(UTC)
        signatory = open_signatory(
            engine,
            user_id=by,
            claimed_user_id=by,
            password=password,
            station=_station(),
            now=now,
            controls=controls,
        )
        return act(engine, signatory=signatory, now=now)

    result = _run(run)
    assert isinstance(result, UserRow)
    return result


def _run(act: Callable[[Engine], UserRow | Signatory]) -> UserRow | Signatory:
    """Run ``act`` on the migrated store; a refusal is printed in words and exits 1."""
    engine = runtime.prepare_store(Settings())
    try:
        return act(engine)
    except Refusal as exc:
        errors.print(f"[red]error:[/] {exc.message}")
        raise typer.Exit(code=1) from None
    finally:
        engine.dispose()


def _station() -> str:
    return f"cli@{socket.gethostname()}"


def _os_user() -> str:
    """Who runs the command, as the operating system says (for the audit trail)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry (some containers)
        return "unknown"
