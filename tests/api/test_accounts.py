"""Accounts under signed events over the API (docs/accounts.md): an account is created by an
administrator's signature and signs nothing until QA or a supervisor confirms its holder's
identity; roles, disabling, enabling, unlocking and password resets are signed on the account's
chain; an administrator holds no GMP role, starts no batch and opens no deviation."""

from __future__ import annotations

from typing import Any

import pytest

from ebr.domain.account_events import account_chain
from ebr.store.db import session_scope
from ebr.store.signed_records import list_chain
from ebr.trust import SiteTrust
from tests.api.harness import Ebr, sign
from tests.api.people import audit_entries, signed_act, user_row
from tests.api.steps import assert_error, batch_number, started
from tests.api.test_signing import STEP, login, signed_clearance, stored
from tests.people import new_user

pytestmark = pytest.mark.e2e

INITIAL, CHOSEN = "Given-by-adam-7", "Chosen-by-me-8"


def chain(ebr: Ebr, user_id: str) -> list[tuple[int, str, str, Any]]:
    """The account's records: (seq, signer, meaning, detail's event)."""
    with session_scope(ebr.engine) as session:
        rows = list_chain(session=session, chain=account_chain(user_id))
    return [(r.seq, r.user_id, r.meaning, (r.detail or {}).get("event")) for r in rows]


async def enrolled_by_adam(ebr: Ebr, *roles: str) -> str:
    """A person created on the API by adam (signed), who then chose their own password."""
    user_id = f"new-{batch_number('x').lower()[2:]}"
    body = signed_act(
        "new hire, HR ticket 77",
        user_id=user_id,
        full_name="Nina New",
        roles=list(roles or ("operator",)),
        initial_password=INITIAL,
    )
    created = await ebr.post("adam", "/api/users", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["identity_confirmed_by"] is None
    token = (await login(ebr, user_id, INITIAL)).json()["access_token"]
    changed = await ebr.http.post(
        "/api/me/password",
        headers={"Authorization": f"Bearer {token}"},
        json={"old_password": INITIAL, "new_password": CHOSEN},
    )
    assert changed.status_code == 204, changed.text
    return user_id


async def test_an_unconfirmed_person_signs_nothing_until_qa_confirms_them(ebr: Ebr) -> None:
    user = await enrolled_by_adam(ebr)
    await ebr.token(user, CHOSEN)
    batch_id = await started(ebr)
    refused = await signed_clearance(ebr, user, batch_id, sign(user, "performed", password=CHOSEN))
    error = assert_error(refused, 403, "identity_not_confirmed")
    assert error["message"].startswith("your identity has not been confirmed yet")
    assert stored(ebr, batch_id) == []

    path = f"/api/users/{user}/identity"
    for someone, status, code in [
        (user, 403, "segregation_of_duties"),  # nobody confirms themselves
        ("adam", 403, "segregation_of_duties"),  # nor the administrator who created them
        ("olga", 403, "role_not_allowed"),  # only QA or a supervisor does
    ]:
        secret = CHOSEN if someone == user else None
        body = signed_act("I know her", by=someone, meaning="verified", password=secret)
        assert_error(await ebr.post(someone, path, json=body), status, code)
    wrong = signed_act("passport seen", by="quinn", meaning="approved")
    assert_error(await ebr.post("quinn", path, json=wrong), 422, "wrong_meaning")
    assert chain(ebr, user) == [(1, "adam", "approved", "created")], "nothing refused is signed"

    reason = "passport checked in person, HR file 1182"
    body = signed_act(reason, by="quinn", meaning="verified")
    confirmed = await ebr.post("quinn", path, json=body)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["identity_confirmed_by"] == "quinn"
    assert chain(ebr, user)[-1] == (2, "quinn", "verified", "identity_confirmed")
    again = await ebr.post("quinn", path, json=body)
    assert_error(again, 409, "account_state")

    answer = await signed_clearance(ebr, user, batch_id, sign(user, "performed", password=CHOSEN))
    assert answer.status_code == 200, answer.text
    assert stored(ebr, batch_id) == [(STEP, "performed", user)]
    trail = await audit_entries(ebr, entity_id=user)
    (entry,) = [e for e in trail if e["action"] == "identity_confirmed"]
    assert (entry["actor"], entry["reason"]) == ("quinn", reason)
    assert [e["reason"] for e in trail if e["action"] == "signature_refused"] == [
        "identity not confirmed"
    ]


@pytest.mark.parametrize("gmp", ["operator", "supervisor", "qa", "author"])
async def test_admin_with_a_gmp_role_is_refused_when_granted(ebr: Ebr, gmp: str) -> None:
    user_id = f"dual-{batch_number('x').lower()[2:]}"
    body = signed_act(
        "both hats",
        user_id=user_id,
        full_name="Dual Hat",
        roles=["admin", gmp],
        initial_password=INITIAL,
    )
    error = assert_error(
        await ebr.post("adam", "/api/users", json=body), 422, "roles_not_combinable"
    )
    assert error["message"].startswith(
        f"an administrator holds no GMP role: admin cannot be combined with {gmp}"
    )
    assert chain(ebr, user_id) == []

    user = await enrolled_by_adam(ebr)
    path = f"/api/users/{user}/roles"
    change = signed_act("promotion", roles=[gmp, "admin"])
    assert_error(
        await ebr.http.put(path, headers=await ebr.headers("adam"), json=change),
        422,
        "roles_not_combinable",
    )
    assert user_row(ebr.engine, user).roles == ["operator"]
    assert len(chain(ebr, user)) == 1, "a refused grant signs nothing"


async def test_an_admin_opens_no_deviation(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    path = f"/api/batches/{batch_id}/deviations"
    refused = await ebr.post("adam", path, json={"description": "I saw powder on the floor"})
    error = assert_error(refused, 403, "role_not_allowed")
    assert error["message"] == (
        "an administrator takes no part in GMP work and may not open a deviation"
    )
    assert (await ebr.get("sam", path)).json() == []


async def test_disable_enable_and_password_reset_are_signed_on_the_account(
    ebr: Ebr, trust: SiteTrust
) -> None:
    user = new_user(ebr.engine, trust, password=CHOSEN, prefix="acts")
    base = f"/api/users/{user}"
    disabled = await ebr.post("adam", f"{base}/disable", json=signed_act("on leave"))
    assert disabled.status_code == 200 and disabled.json()["active"] is False
    assert_error(
        await ebr.post("adam", f"{base}/disable", json=signed_act("again")), 409, "account_state"
    )
    assert_error(await login(ebr, user, CHOSEN), 401, "invalid_credentials")
    enabled = await ebr.post("adam", f"{base}/enable", json=signed_act("back from leave"))
    assert enabled.status_code == 200 and enabled.json()["active"] is True
    assert (await login(ebr, user, CHOSEN)).status_code == 200

    reset = await ebr.post(
        "adam",
        f"{base}/password",
        json=signed_act("forgot it, called the help desk", initial_password="Reset-by-adam-9"),
    )
    assert reset.status_code == 200, reset.text
    assert_error(await login(ebr, user, CHOSEN), 401, "invalid_credentials")
    token = (await login(ebr, user, "Reset-by-adam-9")).json()
    assert token["password_change_required"] is True
    assert [(signer, meaning, event) for _, signer, meaning, event in chain(ebr, user)] == [
        ("adam", "approved", "created"),
        ("quinn", "verified", "identity_confirmed"),
        ("adam", "approved", "disabled"),
        ("adam", "approved", "enabled"),
        ("adam", "approved", "password_reset"),
    ]
    trail = [e["action"] for e in await audit_entries(ebr, entity_id=user)]
    for action in ("user_disabled", "user_enabled", "password_reset", "sessions_ended"):
        assert action in trail, action


async def test_an_administrators_act_is_their_own_signature(ebr: Ebr, trust: SiteTrust) -> None:
    user = new_user(ebr.engine, trust, password=CHOSEN, prefix="own")
    path = f"/api/users/{user}/disable"
    wrong = {"reason": "r", "signature": sign("adam", "approved", password="not-adams-1")}
    assert_error(await ebr.post("adam", path, json=wrong), 401, "signature_refused")
    assert user_row(ebr.engine, "adam").failed_attempts == 1, "the wrong password counted"
    other = {"reason": "r", "signature": sign("quinn", "approved")}
    assert_error(await ebr.post("adam", path, json=other), 403, "signer_not_signed_in")
    meaning = {"reason": "r", "signature": sign("adam", "verified")}
    assert_error(await ebr.post("adam", path, json=meaning), 422, "wrong_meaning")
    itself = assert_error(
        await ebr.post("adam", "/api/users/adam/disable", json=signed_act("bored")),
        403,
        "segregation_of_duties",
    )
    assert "their own account" in itself["message"]
    assert user_row(ebr.engine, user).active and len(chain(ebr, user)) == 2
    assert (await ebr.post("adam", path, json=signed_act("left"))).status_code == 200
    assert user_row(ebr.engine, "adam").failed_attempts == 0


async def test_qa_and_supervisors_read_the_accounts_to_confirm_and_operators_do_not(
    ebr: Ebr,
) -> None:
    for reader in ("adam", "quinn", "sam"):
        listed = await ebr.get(reader, "/api/users")
        assert listed.status_code == 200
        olga = next(u for u in listed.json() if u["user_id"] == "olga")
        assert (olga["created_by"], olga["identity_confirmed_by"]) == ("adam", "quinn")
    assert_error(await ebr.get("olga", "/api/users"), 403, "role_not_allowed")
