"""User keys: added once, rotated by retiring (never deleting), re-wrapped on a password change."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from ebr.store import Conflict, NotFound, session_scope
from ebr.store.keys import (
    UserKeyRow,
    active_key,
    add_user_key,
    all_certificates,
    get_key,
    keys_of,
    replace_wrapped,
    retire_key,
)
from tests.store.builders import T0
from tests.store.evidence import person


@pytest.fixture
def people(engine: Engine) -> Engine:
    person(engine, "olga")
    person(engine, "sam")
    return engine


def _key(key_id: str, user_id: str = "olga", day: int = 0, **change: Any) -> dict[str, Any]:
    return {
        "key_id": key_id,
        "user_id": user_id,
        "wrapped": f'{{"wrapped":"{key_id}","nonce":"n1"}}',
        "certificate_pem": f"-----BEGIN CERTIFICATE-----\n{key_id}\n-----END CERTIFICATE-----\n",
        "valid_from": T0 + timedelta(days=day),
        **change,
    }


def _add(
    engine: Engine, key_id: str, user_id: str = "olga", day: int = 0, **change: Any
) -> tuple[UserKeyRow, bool]:
    with session_scope(engine) as session:
        return add_user_key(session=session, **_key(key_id, user_id, day, **change))


def _active(engine: Engine, user_id: str = "olga") -> str | None:
    with session_scope(engine) as session:
        key = active_key(session=session, user_id=user_id)
    return None if key is None else key.key_id


def test_add_and_read_a_key(people: Engine) -> None:
    row, created = _add(people, "k1")
    assert created and row.retired_at is None
    with session_scope(people) as session:
        stored = get_key(session=session, key_id="k1")
        assert get_key(session=session, key_id="k9") is None
    assert stored is not None
    assert {name: getattr(stored, name) for name in _key("k1")} == _key("k1")
    assert _active(people) == "k1"
    assert _active(people, "sam") is None


def test_adding_a_key_again_is_idempotent(people: Engine) -> None:
    _add(people, "k1")
    again, created = _add(people, "k1", wrapped='{"wrapped":"k1","nonce":"n2"}')  # a fresh wrap
    assert not created
    assert again.wrapped == _key("k1")["wrapped"]  # the stored wrap is kept


@pytest.mark.parametrize(
    "change",
    [{"user_id": "sam"}, {"certificate_pem": "forged"}, {"valid_from": T0 + timedelta(hours=1)}],
)
def test_a_key_id_names_one_key(people: Engine, change: dict[str, Any]) -> None:
    _add(people, "k1")
    with pytest.raises(Conflict) as caught:
        _add(people, "k1", **change)
    assert caught.value.details["fields"] == list(change)


def test_a_key_for_an_unknown_user_is_refused(people: Engine) -> None:
    with pytest.raises(NotFound, match="user 'ghost' does not exist"):
        _add(people, "k1", "ghost")


def test_rotation_retires_the_old_key_and_keeps_it(people: Engine) -> None:
    _add(people, "k1", day=0)
    _add(people, "k2", day=30)
    assert _active(people) == "k2"  # the newest, even before the old one is retired
    with session_scope(people) as session:
        retired = retire_key(session=session, key_id="k1", at=T0 + timedelta(days=30))
    assert retired.retired_at == T0 + timedelta(days=30)
    with session_scope(people) as session:
        again = retire_key(session=session, key_id="k1", at=T0 + timedelta(days=31))
    assert again.retired_at == T0 + timedelta(days=30)  # the first retirement stands
    with session_scope(people) as session:
        retire_key(session=session, key_id="k2", at=T0 + timedelta(days=60))
    assert _active(people) is None
    with session_scope(people) as session:
        kept = [
            (k.key_id, k.retired_at is not None) for k in keys_of(session=session, user_id="olga")
        ]
    assert kept == [("k1", True), ("k2", True)]


def test_active_key_skips_a_retired_newer_key(people: Engine) -> None:
    _add(people, "k1", day=0)
    _add(people, "k2", day=1)
    with session_scope(people) as session:
        retire_key(session=session, key_id="k2", at=T0 + timedelta(days=2))
    assert _active(people) == "k1"


def test_replace_wrapped_changes_only_the_wrapping(people: Engine) -> None:
    _add(people, "k1")
    with session_scope(people) as session:
        replace_wrapped(session=session, key_id="k1", wrapped='{"wrapped":"k1","pw":2}')
    with session_scope(people) as session:
        stored = get_key(session=session, key_id="k1")
    assert stored is not None
    assert stored.wrapped == '{"wrapped":"k1","pw":2}'
    assert {name: getattr(stored, name) for name in ("certificate_pem", "valid_from")} == {
        "certificate_pem": _key("k1")["certificate_pem"],
        "valid_from": T0,
    }


def test_unknown_keys_cannot_be_retired_or_rewrapped(people: Engine) -> None:
    with pytest.raises(NotFound), session_scope(people) as session:
        retire_key(session=session, key_id="k9", at=T0)
    with pytest.raises(NotFound), session_scope(people) as session:
        replace_wrapped(session=session, key_id="k9", wrapped="{}")


def test_all_certificates_lists_every_key_of_every_user(people: Engine) -> None:
    _add(people, "s1", "sam", day=5)
    _add(people, "o2", "olga", day=9)
    _add(people, "o1", "olga", day=1)
    with session_scope(people) as session:
        retire_key(session=session, key_id="o1", at=T0 + timedelta(days=9))
        listed = [(k.user_id, k.key_id) for k in all_certificates(session=session)]
    assert listed == [("olga", "o1"), ("olga", "o2"), ("sam", "s1")]
