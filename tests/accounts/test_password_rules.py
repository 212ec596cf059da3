"""One set of password rules for every password, and no reuse of the last five: attacked with
A to B to A, with an administrator's ``abcdefgh``, and with the demo passwords (which must meet
the rules too). A signature naming someone else than the session's owner is refused unread."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from ebr.accounts import Controls, change_password, create_user, open_signing_key
from ebr.accounts.errors import PasswordRejected, SignerNotSignedIn
from ebr.accounts.password_rules import problems_of
from ebr.domain.roles import Role
from ebr.seed import DEMO_USERS, seed_demo
from ebr.store import session_scope
from ebr.store.audit import list_audit
from ebr.store.users import get_user
from ebr.trust import SiteTrust
from tests.enrolment import registrars
from tests.people import new_user

T0 = datetime.now(UTC) + timedelta(minutes=5)  # after the tests' CA is made, whenever that is
A, B, C = "First-pass-2024", "Second-pass-2024", "Third-pass-2024"


def change(
    engine: Engine, trust: SiteTrust, user: str, old: str, new: str, at: datetime, c: Controls
) -> None:
    change_password(
        engine, trust.ca, user_id=user, old=old, new=new, station="t", now=at, controls=c
    )


def test_a_to_b_to_a_is_refused_and_so_is_any_of_the_last_five(
    engine: Engine, trust: SiteTrust, controls: Controls
) -> None:
    assert controls.password_history == 5
    start = datetime.now(UTC)  # after the CA (the module's trust may be newer than T0)
    user = new_user(engine, trust, password=A, with_key=False, prefix="hist")
    change(engine, trust, user, A, B, start, controls)
    with pytest.raises(PasswordRejected) as refused:
        change(engine, trust, user, B, A, start + timedelta(minutes=1), controls)
    assert refused.value.details == {
        "field": "new_password",
        "rules": ["not one of your last 5 passwords"],
    }
    passwords = [B, C, "Fourth-pass-24", "Fifth-pass-24", "Sixth-pass-24", "Seventh-pass-24"]
    for n, (old, new) in enumerate(zip(passwords, passwords[1:], strict=False), start=2):
        change(engine, trust, user, old, new, start + timedelta(minutes=n), controls)
    # The newest five are now the 3rd to the 7th: B has dropped out of them, the 5th has not.
    change(engine, trust, user, "Seventh-pass-24", B, start + timedelta(hours=1), controls)
    with pytest.raises(PasswordRejected):
        change(engine, trust, user, B, "Fifth-pass-24", start + timedelta(hours=2), controls)


def test_an_initial_password_meets_the_rules(
    engine: Engine, trust: SiteTrust, controls: Controls
) -> None:
    for weak, rule in [
        ("abcdefgh", "at least 10 characters"),
        ("abcdefghijkl", "letters and at least one digit or symbol"),
        ("new-hire-2024", "not containing the user id"),
    ]:
        with pytest.raises(PasswordRejected) as refused:
            create_user(
                engine,
                signatory=registrars(engine, trust).admin,
                user_id="new-hire",
                full_name="New Hire",
                roles=[Role.QA],
                initial_password=weak,
                reason="new hire",
                now=T0,
                controls=controls,
            )
        assert refused.value.details["field"] == "initial_password"
        assert rule in refused.value.details["rules"]
    with session_scope(engine) as session:
        assert get_user(session=session, user_id="new-hire") is None, "nothing was created"


def test_the_demo_passwords_meet_the_rules_and_a_stricter_site_refuses_them(
    engine: Engine, trust: SiteTrust, controls: Controls
) -> None:
    for demo in DEMO_USERS:
        assert problems_of(demo.user_id, demo.password, controls=controls) == [], demo
    strict = replace(controls, password_min_length=20)
    with pytest.raises(PasswordRejected):
        seed_demo(engine, trust, strict)
    with session_scope(engine) as session:
        assert get_user(session=session, user_id="olga") is None, "refused before adding anyone"


def test_a_signature_naming_another_user_is_refused_before_any_password(
    engine: Engine, trust: SiteTrust, controls: Controls
) -> None:
    user = new_user(engine, trust, password=A, prefix="sig")
    with pytest.raises(SignerNotSignedIn) as refused:
        open_signing_key(
            engine,
            user_id=user,
            claimed_user_id="olga",
            password=A,
            station="t",
            now=T0,
            controls=controls,
        )
    assert refused.value.details == {"field": "signature.user_id", "session_user_id": user}
    with session_scope(engine) as session:
        trail = list_audit(session=session, entity_id=user)
        assert get_user(session=session, user_id=user).failed_attempts == 0  # type: ignore[union-attr]
    assert [(e.action, e.new_value) for e in trail][-1] == (
        "signature_refused",
        {"claimed_user_id": "olga"},
    )
