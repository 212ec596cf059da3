"""Enrolling people in a test's store as a site does, so ``ebr verify`` proves their rows: each
account is created by an administrator's signature and its holder's identity confirmed by QA's.

The registrars who sign are the demo's adam and quinn in a store seeded with the demo users;
in any other store, ``reg-admin`` (who founds it) and ``reg-qa``, enrolled on first use.
Their open keys are kept per store: opening one costs an Argon2 derivation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine

from ebr.accounts import (
    Controls,
    Signatory,
    confirm_identity,
    create_account,
    found_site,
    open_signatory,
    provision_key,
)
from ebr.domain.roles import Role
from ebr.passwords import hash_password
from ebr.seed import demo_password
from ebr.settings import Settings
from ebr.store.db import session_scope
from ebr.store.users import get_user
from ebr.trust import SiteTrust

__all__ = ["Registrars", "enrol", "registrars"]

REGISTRAR_PASSWORD = "Registrar-pass-1"


@dataclass(frozen=True)
class Registrars:
    """Who enrols people in a store: an administrator and a confirmed QA, keys open."""

    admin: Signatory
    qa: Signatory


_KEPT: dict[str, Registrars] = {}


def registrars(engine: Engine, trust: SiteTrust) -> Registrars:
    """The store's registrars (demo adam and quinn, or reg-admin and reg-qa, enrolled now)."""
    url = engine.url.render_as_string(hide_password=False)
    kept = _KEPT.get(url)
    if kept is None:
        kept = _KEPT[url] = _opened_or_founded(engine, trust)
    return kept


def enrol(
    engine: Engine,
    trust: SiteTrust,
    *,
    user_id: str,
    full_name: str,
    roles: Sequence[Role],
    password_hash: str,
    must_change: bool = False,
    confirmed: bool = True,
    at: datetime | None = None,
) -> None:
    """Create ``user_id`` signed by the store's administrator and, when ``confirmed``, have the
    store's QA confirm their identity (no key is made here)."""
    signers, now = registrars(engine, trust), at or datetime.now(UTC)
    with session_scope(engine) as session:
        create_account(
            session,
            signatory=signers.admin,
            user_id=user_id,
            full_name=full_name,
            roles=roles,
            password_hash=password_hash,
            must_change=must_change,
            reason="enrolled for a test",
            now=now,
        )
    if confirmed:
        confirm_identity(
            engine, signatory=signers.qa, user_id=user_id, reason="badge checked", now=now
        )


def _opened_or_founded(engine: Engine, trust: SiteTrust) -> Registrars:
    with session_scope(engine) as session:
        demo = get_user(session=session, user_id="adam") is not None
        ours = get_user(session=session, user_id="reg-admin") is not None
    if demo:
        return Registrars(_open(engine, "adam", demo_password("adam")),
                          _open(engine, "quinn", demo_password("quinn")))  # fmt: skip
    if ours:
        return Registrars(_open(engine, "reg-admin", REGISTRAR_PASSWORD),
                          _open(engine, "reg-qa", REGISTRAR_PASSWORD))  # fmt: skip
    now, controls = datetime.now(UTC), Controls.of(Settings())
    admin = found_site(
        engine,
        trust.ca,
        user_id="reg-admin",
        full_name="Reggie Registrar",
        password=REGISTRAR_PASSWORD,
        station="test",
        reason="founds the test's store",
        now=now,
        controls=controls,
    )
    with session_scope(engine) as session:
        create_account(
            session,
            signatory=admin,
            user_id="reg-qa",
            full_name="Regina Registrar",
            roles=(Role.QA,),
            password_hash=hash_password(REGISTRAR_PASSWORD),
            must_change=False,
            reason="confirms the test's people",
            now=now,
        )
    provision_key(engine, trust.ca, user_id="reg-qa", password=REGISTRAR_PASSWORD, now=now)
    confirm_identity(engine, signatory=admin, user_id="reg-qa", reason="founding", now=now)
    qa = _open(engine, "reg-qa", REGISTRAR_PASSWORD)
    confirm_identity(engine, signatory=qa, user_id="reg-admin", reason="founding", now=now)
    return Registrars(admin, qa)


def _open(engine: Engine, user_id: str, password: str) -> Signatory:
    return open_signatory(
        engine,
        user_id=user_id,
        claimed_user_id=user_id,
        password=password,
        station="test",
        now=datetime.now(UTC),
        controls=Controls.of(Settings()),
    )
