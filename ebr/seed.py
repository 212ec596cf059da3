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

from ebr.accounts import Controls, provision_key
from ebr.accounts.password_rules import check_password
from ebr.audit import audit
from ebr.domain.roles import Role
from ebr.passwords import hash_password
from ebr.settings import Settings
from ebr.store.db import session_scope
from ebr.store.users import add_user, get_user, list_users
from ebr.trust import SiteTrust

EXAMPLE_RECIPES = Path(__file__).resolve().parent.parent / "examples" / "recipes"
SYSTEM = "system"


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
    DemoUser("sam", "Sam Lindqvist", (Role.SUPERVISOR, Role.OPERATOR)),
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
    """Add the demo users with their signing keys; idempotent.

    Demo users chose their (published) passwords, so their keys are made at once; a real user's
    key is made when they set their own password (ebr.accounts.change_password). The passwords
    meet the same rules as every other (``controls``, by default those of the settings): a site
    whose rules they break is refused (``password_rejected``) before anything is added.
    """
    rules = controls or Controls.of(Settings())
    for user in DEMO_USERS:
        check_password(user.user_id, user.password, controls=rules, field="password")
    added: list[str] = []
    provisioned: list[DemoUser] = []
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        for user in DEMO_USERS:
            if get_user(session=session, user_id=user.user_id) is None:
                add_user(
                    session=session,
                    user_id=user.user_id,
                    full_name=user.full_name,
                    roles=user.roles,
                    password_hash=hash_password(user.password),
                    created_by=SYSTEM,
                    at=now,
                )
                audit(
                    session,
                    event_key=f"user/{user.user_id}/created",
                    at=now,
                    actor=SYSTEM,
                    station="seed",
                    action="user_created",
                    entity="user",
                    entity_id=user.user_id,
                    new_value={"full_name": user.full_name, "roles": [r.value for r in user.roles]},
                )
                added.append(f"user {user.user_id}")
                provisioned.append(user)
    for user in provisioned:
        provision_key(engine, trust.ca, user_id=user.user_id, password=user.password, now=now)
    return added


def demo_password(user_id: str) -> str:
    """The published password of a demo user (README), for the demo driver and tests."""
    return next(u.password for u in DEMO_USERS if u.user_id == user_id)
