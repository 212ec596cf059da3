"""Accounts made for one test: fresh users, so lockouts and password changes touch no one else."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from ebr.accounts import provision_key
from ebr.domain.roles import Role
from ebr.passwords import hash_password
from ebr.store import accounts as store_accounts
from ebr.store.db import session_scope
from ebr.store.keys import UserKeyRow, active_key
from ebr.store.users import UserRow, add_user, get_user
from ebr.trust import SiteTrust
from tests.api.harness import Ebr


def new_user(
    engine: Engine,
    trust: SiteTrust,
    *,
    password: str,
    roles: tuple[Role, ...] = (Role.OPERATOR,),
    with_key: bool = True,
    must_change: bool = False,
    prefix: str = "user",
) -> str:
    """A new user (created by ``adam``) with ``password``; a signing key certified by the site CA
    when ``with_key``; ``must_change``: the password is an admin's, to be replaced at sign-in."""
    user_id = f"{prefix}-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        add_user(
            session=session,
            user_id=user_id,
            full_name=f"Tess {user_id.title()}",
            roles=roles,
            password_hash=hash_password(password),
            created_by="adam",
            at=now,
        )
        if must_change:
            store_accounts.set_password(
                session=session,
                user_id=user_id,
                password_hash=hash_password(password),
                at=now,
                must_change=True,
            )
    if with_key:
        provision_key(engine, trust.ca, user_id=user_id, password=password, now=now)
    return user_id


def user_row(engine: Engine, user_id: str) -> UserRow:
    with session_scope(engine) as session:
        user = get_user(session=session, user_id=user_id)
        assert user is not None
        return user


def key_row(engine: Engine, user_id: str) -> UserKeyRow | None:
    with session_scope(engine) as session:
        return active_key(session=session, user_id=user_id)


async def audit_entries(ebr: Ebr, reviewer: str = "quinn", **filters: Any) -> list[dict[str, Any]]:
    """``GET /api/audit`` with ``filters`` as its query, as ``reviewer``; asserts 200."""
    params = {k: str(v) for k, v in filters.items()}
    answer = await ebr.get(reviewer, "/api/audit", params={"limit": "1000", **params})
    assert answer.status_code == 200, answer.text
    entries: list[dict[str, Any]] = answer.json()
    return entries
