"""Making users for one test alone, enrolled as a site enrols people (created by an
administrator's signature, identity confirmed by QA's: ``tests.enrolment``), with or without a
signing key."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import Engine

from ebr.accounts import provision_key
from ebr.domain.roles import Role
from ebr.passwords import hash_password
from ebr.trust import SiteTrust
from tests.enrolment import enrol


def new_user(
    engine: Engine,
    trust: SiteTrust,
    *,
    password: str,
    roles: tuple[Role, ...] = (Role.OPERATOR,),
    with_key: bool = True,
    must_change: bool = False,
    prefix: str = "user",
    confirmed: bool = True,
) -> str:
    """A new user with ``password``, created by the store's administrator (``adam`` in a demo
    store) and, when ``confirmed``, their identity confirmed by its QA (``quinn``); a signing key
    certified by the site CA when ``with_key``; ``must_change``: the password is an admin's, to
    be replaced at sign-in."""
    user_id = f"{prefix}-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    enrol(
        engine,
        trust,
        user_id=user_id,
        full_name=f"Tess {user_id.title()}",
        roles=roles,
        password_hash=hash_password(password),
        must_change=must_change,
        confirmed=confirmed,
        at=now,
    )
    if with_key:
        provision_key(engine, trust.ca, user_id=user_id, password=password, now=now)
    return user_id
