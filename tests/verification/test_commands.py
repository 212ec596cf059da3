"""The CA commands, and clear failures (exit 2, no traceback) when verification cannot start."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from signatures.ca import certificate_fingerprint, certificate_pem, create_site_ca
from tests.verification.conftest import APP, Store, flat

pytestmark = pytest.mark.parametrize("pristine", ["sqlite"], indirect=True)


def test_ca_show_and_export(store: Store, tmp_path: Path) -> None:
    ca = store.site.trust.ca.certificate
    shown = store.ebr("ca", "show")
    assert shown.exit_code == 0, shown.output
    out = flat(shown)
    assert certificate_fingerprint(ca) in out and "CN=Verification Test Site EBR CA" in out
    assert "valid from" in out and "valid until" in out
    target = tmp_path / "ca.pem"
    assert store.ebr("ca", "export", "--out", str(target)).exit_code == 0
    assert target.read_text() == certificate_pem(ca)


def test_ebr_has_the_commands_these_tests_run(store: Store) -> None:
    """The real CLI registers what ``conftest.commands_app`` does (this test alone imports
    ``ebr.cli``, and with it the API and the worker)."""
    from ebr.cli import app

    out = flat(CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"}))
    for command in ("verify", "export", "checkpoint", "ca", "verify-pdf"):
        assert f"│ {command} " in out, command


def test_another_ca_given_with_ca_refuses_every_certificate(store: Store, tmp_path: Path) -> None:
    rogue = create_site_ca(organization="Elsewhere", common_name="Other CA", now=datetime.now(UTC))
    path = tmp_path / "other.pem"
    path.write_text(certificate_pem(rogue.certificate))
    result = store.ebr("verify", "--ca", str(path))
    assert result.exit_code == 1 and "table: user_keys" in flat(result)


def _clean_exit_2(args: list[str], env: dict[str, str], expected: str) -> None:
    result = CliRunner().invoke(APP, args, env={"COLUMNS": "200", **env})
    out = flat(result)
    assert result.exit_code == 2, out
    assert (
        "Traceback" not in out
        and result.exception is None
        or isinstance(result.exception, SystemExit)
    )
    assert expected in out, out


def test_missing_trust_material_is_a_clear_error(tmp_path: Path, store: Store) -> None:
    env = {"EBR_DATA_DIR": str(tmp_path / "nowhere"), "EBR_DATABASE_URL": store.url}
    _clean_exit_2(["verify"], env, "cannot read the site CA certificate")
    _clean_exit_2(["ca", "show"], env, "cannot read the site CA certificate")
    _clean_exit_2(["verify", "--ca", str(tmp_path / "x.pem")], env, "x.pem")
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("nonsense", "cannot open the record store"),
        ("sqlite:///{dir}/missing.db", "no record store"),
        ("sqlite:///{dir}/empty.db", "is it migrated"),
        ("postgresql://nobody@127.0.0.1:1/none", "cannot connect to the record store"),
    ],
)
def test_an_unusable_store_is_a_clear_error(
    store: Store, tmp_path: Path, url: str, expected: str
) -> None:
    sqlite3.connect(tmp_path / "empty.db").close()
    env = {"EBR_DATA_DIR": str(store.data_dir), "EBR_DATABASE_URL": url.format(dir=tmp_path)}
    _clean_exit_2(["verify"], env, expected)


def test_a_missing_saved_checkpoint_is_a_clear_error(store: Store, tmp_path: Path) -> None:
    result = store.ebr("verify", "--since", str(tmp_path / "kept.json"))
    assert result.exit_code == 2 and "cannot read the checkpoint" in flat(result)
    (tmp_path / "kept.json").write_text("{}")
    result = store.ebr("verify", "--since", str(tmp_path / "kept.json"))
    assert result.exit_code == 2 and "is not a saved checkpoint" in flat(result)
