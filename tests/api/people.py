"""Accounts made for one test: fresh users, so lockouts and password changes touch no one else."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from ebr.store.db import session_scope
from ebr.store.keys import UserKeyRow, active_key
from ebr.store.users import UserRow, get_user
from tests.api.harness import Ebr, sign


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


def signed_act(
    reason: str,
    *,
    by: str = "adam",
    meaning: str = "approved",
    password: str | None = None,
    **fields: Any,
) -> Any:
    """The body of a signed act on an account: ``fields``, the reason and ``by``'s signature
    (both components; ``approved`` for an administrator's act, ``verified`` for an identity;
    ``password``: by default the demo user's)."""
    return {**fields, "reason": reason, "signature": sign(by, meaning, password=password)}
