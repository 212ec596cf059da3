"""``ebr user`` as an administrator runs it on the server's shell: a real process, its output and
exit code. Each change is signed by the person named with ``--by`` (their password from
EBR_PASSWORD), on the account's chain, and ``ebr verify`` proves the rows it leaves; the one
unsigned change is the break-glass unlock, audited with the OS user (docs/accounts.md)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from ebr.accounts import Controls, change_password
from ebr.domain.account_events import account_chain
from ebr.settings import Settings
from ebr.store import make_engine, session_scope
from ebr.store.accounts import record_failure
from ebr.store.audit import list_audit
from ebr.store.signed_records import list_chain
from ebr.store.users import get_user
from ebr.trust import load_or_create_trust
from tests.test_cli import assert_clean_failure, ebr_cli

ROOT_PASSWORD = "Founder-pass-1"


@dataclass
class Shell:
    """A site's data directory, founded by ``root``; runs ``ebr`` there as someone."""

    data_dir: Path

    def run(self, *args: str, password: str | None = ROOT_PASSWORD) -> CompletedProcess[str]:
        extra = {"EBR_PASSWORD": password} if password is not None else {}
        return ebr_cli(*args, data_dir=self.data_dir, env_extra=extra)

    def chain(self, user_id: str) -> list[tuple[int, str, str]]:
        engine = make_engine(f"sqlite:///{self.data_dir / 'ebr.db'}")
        try:
            with session_scope(engine) as session:
                rows = list_chain(session=session, chain=account_chain(user_id))
            return [(r.seq, r.user_id, (r.detail or {}).get("event", "")) for r in rows]
        finally:
            engine.dispose()


@pytest.fixture
def shell(tmp_path: Path) -> Iterator[Shell]:
    founded = ebr_cli(
        "user",
        "found",
        "root",
        "--name",
        "Rhea Root",
        data_dir=tmp_path,
        env_extra={"EBR_PASSWORD": ROOT_PASSWORD},
    )
    assert founded.returncode == 0, founded.stderr
    assert "founded the site with administrator root" in founded.stdout
    yield Shell(tmp_path)


def add(
    shell: Shell, user_id: str, *roles: str, by: str = "root", initial: str = "Initial-pass-12"
) -> CompletedProcess[str]:
    options = [arg for role in roles for arg in ("--role", role)]
    return shell.run(
        "user",
        "add",
        user_id,
        "--name",
        f"{user_id.title()} Person",
        *options,
        "--reason",
        "new hire",
        "--by",
        by,
        "--initial-password",
        initial,
    )


def test_a_site_is_founded_once_and_every_account_after_is_signed_by_a_named_admin(
    shell: Shell,
) -> None:
    again = shell.run("user", "found", "other", "--name", "Other Root")
    assert_clean_failure(again)
    assert "only the first account of a site signs its own creation" in again.stderr

    added = add(shell, "ada", "operator", "qa")
    assert added.returncode == 0, added.stderr
    assert "added ada (Ada Person) with roles operator, qa" in added.stdout
    taken = add(shell, "ada", "operator")
    assert_clean_failure(taken)
    assert "user id 'ada' is already taken" in taken.stderr
    wrong = shell.run(
        "user",
        "add",
        "bob",
        "--name",
        "Bob",
        "--role",
        "operator",
        "--reason",
        "x",
        "--by",
        "root",
        "--initial-password",
        "Initial-pass-12",
        password="not-roots-password-1",
    )
    assert_clean_failure(wrong)
    assert "password is not correct" in wrong.stderr

    listed = shell.run("user", "list")
    assert "Ada Person" in listed.stdout and "operator, qa" in listed.stdout
    assert "Bob" not in listed.stdout
    assert shell.chain("root") == [(1, "root", "created")]
    assert shell.chain("ada") == [(1, "root", "created")]
    assert shell.run("verify").returncode == 0


def test_an_admin_with_a_gmp_role_and_a_weak_password_are_refused(shell: Shell) -> None:
    for gmp in ("operator", "supervisor", "qa", "author"):
        dual = add(shell, "dual", "admin", gmp)
        assert_clean_failure(dual)
        assert f"admin cannot be combined with {gmp}" in dual.stderr
    weak = add(shell, "bob", "operator", initial="abcdefgh")
    assert_clean_failure(weak)
    assert "at least 10 characters" in weak.stderr
    assert "dual" not in shell.run("user", "list").stdout
    assert shell.chain("dual") == [] and shell.chain("bob") == []


def test_identity_confirmation_role_change_disable_and_enable_from_the_shell(shell: Shell) -> None:
    assert add(shell, "vera", "qa").returncode == 0
    assert add(shell, "otto", "operator").returncode == 0
    vera_password = _chooses_password(shell, "vera")
    # The founder confirms the first QA (the founding exception); she confirms everyone else.
    done = shell.run("user", "confirm", "vera", "--reason", "passport seen", "--by", "root")
    assert done.returncode == 0, done.stderr
    assert "confirmed the identity of vera" in done.stdout
    creator = shell.run("user", "confirm", "otto", "--reason", "I hired him", "--by", "root")
    assert_clean_failure(creator)
    assert "does not confirm its holder's identity" in creator.stderr
    for user_id in ("otto", "root"):
        confirmed = shell.run(
            "user",
            "confirm",
            user_id,
            "--reason",
            "ID card seen",
            "--by",
            "vera",
            password=vera_password,
        )
        assert confirmed.returncode == 0, confirmed.stderr

    promoted = shell.run(
        "user",
        "roles",
        "otto",
        "--role",
        "operator",
        "--role",
        "supervisor",
        "--reason",
        "shift lead from May",
        "--by",
        "root",
    )
    assert promoted.returncode == 0, promoted.stderr
    assert "otto now holds operator, supervisor" in promoted.stdout
    assert shell.run("user", "disable", "otto", "--reason", "left", "--by", "root").returncode == 0
    assert shell.run("user", "enable", "otto", "--reason", "back", "--by", "root").returncode == 0
    assert shell.chain("otto") == [
        (1, "root", "created"),
        (2, "vera", "identity_confirmed"),
        (3, "root", "roles_changed"),
        (4, "root", "disabled"),
        (5, "root", "enabled"),
    ]
    verified = shell.run("verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_unlocking_is_signed_or_breaks_glass_audited_with_the_os_user(shell: Shell) -> None:
    """The way back in when every administrator is locked out: on the server, with a reason."""
    assert add(shell, "lena", "auditor").returncode == 0
    engine = make_engine(f"sqlite:///{shell.data_dir / 'ebr.db'}")
    try:
        now = datetime.now(UTC)
        with session_scope(engine) as session:
            for _ in range(5):
                record_failure(session=session, user_id="lena", at=now, limit=5)
        missing = shell.run("user", "unlock", "lena", "--break-glass")
        assert missing.returncode == 2 and "--reason" in missing.stderr
        blank = shell.run("user", "unlock", "lena", "--reason", "  ", "--break-glass")
        assert_clean_failure(blank)
        assert "needs a reason" in blank.stderr
        ghost = shell.run("user", "unlock", "ghost", "--reason", "why not", "--break-glass")
        assert_clean_failure(ghost)
        assert "ghost" in ghost.stderr

        reason = "identity checked in person, ticket 4242"
        done = shell.run("user", "unlock", "lena", "--reason", reason, "--break-glass")
        assert done.returncode == 0, done.stderr
        assert "unlocked lena (Lena Person)" in done.stdout
        with session_scope(engine) as session:
            user = get_user(session=session, user_id="lena")
            trail = list_audit(session=session, entity_id="lena")
        assert user is not None and (user.locked_at, user.failed_attempts) == (None, 0)
        (unlocked,) = [e for e in trail if e.action == "user_unlocked"]
        assert unlocked.reason == reason
        assert unlocked.actor.startswith("cli:") and unlocked.station.startswith("cli@")

        signed = shell.run("user", "unlock", "lena", "--reason", "again", "--by", "root")
        assert signed.returncode == 0, signed.stderr
        assert shell.chain("lena")[-1] == (2, "root", "unlocked")
    finally:
        engine.dispose()


def test_an_unknown_role_is_refused_by_the_command_line(shell: Shell) -> None:
    result = add(shell, "bob", "chef")
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert "chef" in result.stderr


def _chooses_password(shell: Shell, user_id: str) -> str:
    """The person signs in and sets their own password, which makes their signing key."""
    chosen = "Chosen-own-pass-3"
    engine = make_engine(f"sqlite:///{shell.data_dir / 'ebr.db'}")
    trust = load_or_create_trust(shell.data_dir, site_name="ebr", passphrase=None)
    try:
        change_password(
            engine,
            trust.ca,
            user_id=user_id,
            old="Initial-pass-12",
            new=chosen,
            station="desk",
            now=datetime.now(UTC),
            controls=Controls.of(Settings()),
        )
    finally:
        engine.dispose()
    return chosen
