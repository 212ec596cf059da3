"""Users: created once, never reused, roles kept as Role values."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from ebr.domain.roles import Role
from ebr.store import AlreadyExists, StoreError, session_scope
from ebr.store.users import UserRow, add_user, get_user, list_users, roles_of
from tests.store.builders import T0


def _add(engine: Engine, user_id: str, *roles: Role) -> UserRow:
    with session_scope(engine) as session:
        return add_user(
            session=session,
            user_id=user_id,
            full_name=f"{user_id.title()} Person",
            roles=roles,
            password_hash="$argon2id$stub",
            created_by="admin",
            at=T0,
        )


def test_add_and_get_user(engine: Engine) -> None:
    _add(engine, "olga", Role.OPERATOR, Role.SUPERVISOR)
    with session_scope(engine) as session:
        user = get_user(session=session, user_id="olga")
        assert get_user(session=session, user_id="nobody") is None
    assert user is not None
    assert user.full_name == "Olga Person"
    assert roles_of(user) == (Role.OPERATOR, Role.SUPERVISOR)
    assert user.active and not user.must_change_password
    assert user.created_at == T0


def test_a_user_id_is_never_reused(engine: Engine) -> None:
    _add(engine, "olga", Role.OPERATOR)
    with session_scope(engine) as session:
        user = get_user(session=session, user_id="olga")
        assert user is not None
        user.active = False  # disabled, not deleted
    with pytest.raises(AlreadyExists) as caught:
        _add(engine, "olga", Role.QA)
    assert caught.value.code == "already_exists"
    assert "olga" in caught.value.message


def test_list_users_includes_disabled_ones_in_id_order(engine: Engine) -> None:
    for user_id in ("quinn", "ann", "olga"):
        _add(engine, user_id, Role.OPERATOR)
    with session_scope(engine) as session:
        assert [u.user_id for u in list_users(session=session)] == ["ann", "olga", "quinn"]


def test_an_unknown_stored_role_is_reported_not_guessed(engine: Engine) -> None:
    _add(engine, "olga", Role.OPERATOR)
    with engine.begin() as connection:
        connection.execute(text("""UPDATE users SET roles = '["overlord"]'"""))
    with session_scope(engine) as session:
        user = get_user(session=session, user_id="olga")
    assert user is not None
    with pytest.raises(StoreError, match="unknown role"):
        roles_of(user)
