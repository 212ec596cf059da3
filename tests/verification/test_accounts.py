"""``ebr verify`` proves each user row from its account's signed events and audited lockouts, on
SQLite and PostgreSQL: a privilege nobody signed for is named with the record that says
otherwise (docs/accounts.md, "Every user row is proven")."""

from __future__ import annotations

import pytest

from tests.verification.account_attacks import ACCOUNT_ATTACKS
from tests.verification.attacks import Attack
from tests.verification.conftest import Store, flat


@pytest.mark.parametrize("attack", ACCOUNT_ATTACKS, ids=[a.name for a in ACCOUNT_ATTACKS])
def test_each_account_attack_is_named(store: Store, attack: Attack) -> None:
    assert store.ebr("verify").exit_code == 0
    store.tamper(attack.edit)
    result = store.ebr("verify")
    out = flat(result)
    assert result.exit_code == 1, out
    assert "Traceback" not in out
    assert f"table: {attack.table} " in out, out
    assert f"entry: {attack.entry.format(**store.site.facts())} " in out, out
    assert attack.problem.format(**store.site.facts()) in out, out


@pytest.mark.parametrize(
    "attack", [a for a in ACCOUNT_ATTACKS if a.refused_by_triggers], ids=lambda a: a.name
)
def test_the_database_refuses_deleting_a_user(store: Store, attack: Attack) -> None:
    with pytest.raises(Exception, match="refused"):
        store.tamper(attack.edit, guards=True)
    assert store.ebr("verify").exit_code == 0
