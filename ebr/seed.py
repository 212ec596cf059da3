"""Demo data for a new local store: one or more users per role. The example recipes are taken
through change control by these users once ebr is up (``ebr.demo_recipes``).

The passwords are published in the README: this is for trying ebr on one machine, never for a
plant. ``ebr up --no-demo`` starts with an empty store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

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
from ebr.accounts.password_rules import check_password
from ebr.domain.roles import Role
from ebr.passwords import hash_password
from ebr.settings import Settings
from ebr.store.db import session_scope
from ebr.store.users import list_users
from ebr.trust import SiteTrust

EXAMPLE_RECIPES = Path(__file__).resolve().parent.parent / "examples" / "recipes"
STATION = "seed"
ADMIN = "adam"  # founds the demo site and creates every other account
CONFIRMER = "quinn"  # the first QA: confirmed by the founder, then confirms everyone else


@dataclass(frozen=True)
class DemoUser:
    user_id: str
    full_name: str
    roles: tuple[Role, ...]

    @property
    def password(self) -> str:
        """``ebr-demo-`` and the surname: it meets the password rules (which refuse a password
        containing the user id, as the earlier ``ebr-demo-<user id>`` did)."""
        return f"ebr-demo-{self.full_name.split()[-1].lower()}"


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("olga", "Olga Okafor", (Role.OPERATOR,)),
    DemoUser("omar", "Omar Haddad", (Role.OPERATOR,)),
    DemoUser("sam", "Sam Lindqvist", (Role.OPERATOR, Role.SUPERVISOR)),
    DemoUser("quinn", "Quinn Moreau", (Role.QA,)),
    # A second QA who performs and verifies no step, so she may release (segregation of duties).
    DemoUser("rita", "Rita Serrano", (Role.QA,)),
    DemoUser("aude", "Aude Laurent", (Role.AUDITOR,)),
    DemoUser("adam", "Adam Novak", (Role.ADMIN,)),
    # Process engineering: writes the master recipes and submits them for review.
    DemoUser("ada", "Ada Brennan", (Role.AUTHOR,)),
)


def store_is_new(engine: Engine) -> bool:
    with session_scope(engine) as session:
        return not list_users(session=session)


def seed_demo(engine: Engine, trust: SiteTrust, controls: Controls | None = None) -> list[str]:
    """Add the demo users as they stand after enrolment; idempotent (only missing ones are added).

    As a real site's people would be (README, "Enrolling a person"): adam founds the site
    (``found_site``: his own creation, signed by himself), creates every other account with its
    roles (signed), confirms the identity of quinn, the first QA (the founder's one exception),
    and quinn confirms everyone else's, adam's included. Demo users chose their (published)
    passwords, so their keys are made at once; a real user's key is made when they set their own
    password (``ebr.accounts.change_password``). The passwords meet the same rules as every other
    (``controls``, by default those of the settings): a site whose rules they break is refused
    (``password_rejected``) before anything is added.
    """
    rules = controls or Controls.of(Settings())
    for user in DEMO_USERS:
        check_password(user.user_id, user.password, controls=rules, field="password")
    with session_scope(engine) as session:
        existing = {row.user_id for row in list_users(session=session)}
    missing = [user for user in DEMO_USERS if user.user_id not in existing]
    if not missing:
        return []
    now = datetime.now(UTC)
    admin = _administrator(engine, trust, existing, now=now, controls=rules)
    for user in missing:
        if user.user_id == ADMIN:
            continue
        with session_scope(engine) as session:
            create_account(
                session,
                signatory=admin,
                user_id=user.user_id,
                full_name=user.full_name,
                roles=user.roles,
                password_hash=hash_password(user.password),
                must_change=False,
                reason="demo user, enrolled with the published demo password",
                now=now,
            )
        provision_key(engine, trust.ca, user_id=user.user_id, password=user.password, now=now)
    _confirm(engine, admin, [user.user_id for user in missing], now=now, controls=rules)
    return [f"user {user.user_id}" for user in missing]


def _administrator(
    engine: Engine, trust: SiteTrust, existing: set[str], *, now: datetime, controls: Controls
) -> Signatory:
    """adam, who signs the demo users' creation: founding the demo site if it has no account."""
    if ADMIN in existing:
        return _opened(engine, ADMIN, now=now, controls=controls)
    if existing:
        raise ValueError("the store has accounts but no demo administrator: not seeding it")
    user = next(u for u in DEMO_USERS if u.user_id == ADMIN)
    return found_site(
        engine,
        trust.ca,
        user_id=ADMIN,
        full_name=user.full_name,
        password=user.password,
        station=STATION,
        reason="the demo site's administrator, founding it",
        now=now,
        controls=controls,
    )


def _confirm(
    engine: Engine, admin: Signatory, user_ids: list[str], *, now: datetime, controls: Controls
) -> None:
    """Confirm each new demo user's identity: quinn's by the founder when the site has no
    confirmed QA yet, then everyone else's by quinn."""
    with session_scope(engine) as session:
        unconfirmed = {
            row.user_id for row in list_users(session=session) if row.identity_confirmed_at is None
        }
    reason = "demo user: identity taken as given (a real site checks an identity document)"
    if CONFIRMER in unconfirmed:
        confirm_identity(engine, signatory=admin, user_id=CONFIRMER, reason=reason, now=now)
    confirmer = _opened(engine, CONFIRMER, now=now, controls=controls)
    for user_id in user_ids:
        if user_id != CONFIRMER and user_id in unconfirmed:
            confirm_identity(engine, signatory=confirmer, user_id=user_id, reason=reason, now=now)


def _opened(engine: Engine, user_id: str, *, now: datetime, controls: Controls) -> Signatory:
    return open_signatory(
        engine,
        user_id=user_id,
        claimed_user_id=user_id,
        password=demo_password(user_id),
        station=STATION,
        now=now,
        controls=controls,
    )


def demo_password(user_id: str) -> str:
    """The published password of a demo user (README), for the demo driver and tests."""
    return next(u.password for u in DEMO_USERS if u.user_id == user_id)
