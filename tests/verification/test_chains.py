"""``ebr verify`` over chains of every kind: each attack on a record of each subject kind (a
batch's step, the batch, a deviation, a hold) and on records outside any batch (a lot, an
account, a recipe version) is named precisely, on SQLite and PostgreSQL; the database's
triggers refuse the same edits while they stand."""

from __future__ import annotations

import pytest

from ebr.domain.subjects import ChainKind, SubjectKind
from tests.verification.attacks import Attack
from tests.verification.chain_attacks import CHAIN_ATTACKS, TARGETS
from tests.verification.conftest import Store, flat


def test_the_targets_cover_every_subject_kind_a_batch_holds_and_two_other_chains() -> None:
    in_batches = {kind.value for kind in SubjectKind if kind.chain_kind is ChainKind.BATCH}
    assert in_batches <= {t.name for t in TARGETS}
    assert {t.chain.kind for t in TARGETS} >= {ChainKind.BATCH, ChainKind.LOT, ChainKind.ACCOUNT}


@pytest.mark.parametrize("attack", CHAIN_ATTACKS, ids=[a.name for a in CHAIN_ATTACKS])
def test_each_attack_on_a_chain_is_named(store: Store, attack: Attack) -> None:
    store.tamper(attack.edit)
    result = store.ebr("verify")
    out = flat(result)
    assert result.exit_code == 1, out
    assert "Traceback" not in out
    assert f"table: {attack.table} " in out, out
    assert f"entry: {_filled(store, attack.entry)} " in out, out
    assert _filled(store, attack.problem) in out, out


def _filled(store: Store, text: str) -> str:
    """``text`` with the site's facts put in (not ``str.format``: problems quote JSON)."""
    for name, value in store.site.facts().items():
        text = text.replace("{" + name + "}", str(value))
    return text


@pytest.mark.parametrize(
    "attack", [a for a in CHAIN_ATTACKS if a.refused_by_triggers], ids=lambda a: a.name
)
def test_the_triggers_refuse_the_same_edits(store: Store, attack: Attack) -> None:
    with pytest.raises(Exception, match="signed_records is append-only|refused"):
        store.tamper(attack.edit, guards=True)
    assert store.ebr("verify").exit_code == 0
