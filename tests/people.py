"""Making users for one test alone, as an administrator would, with or without a signing key."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import Engine

from ebr.accounts import provision_key
from ebr.domain.roles import Role
from ebr.passwords import hash_password
from ebr.store import accounts as store_accounts
from ebr.store.db import session_scope
from ebr.store.users import add_user
from ebr.trust import SiteTrust


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
