"""A password an administrator set must be replaced before anything else; the user's own
password makes their signing key, which the administrator's password never opens."""

from __future__ import annotations

import pytest

from ebr.domain.roles import Role
from ebr.trust import SiteTrust
from signatures.errors import WrongPassword
from signatures.keys import unwrap_key
from signatures.wrapped import WrappedKey
from tests.api.harness import Ebr
from tests.api.people import audit_entries, key_row, signed_act, user_row
from tests.api.steps import assert_error, batch_number, started
from tests.people import new_user

pytestmark = pytest.mark.e2e

INITIAL = "Admin-set-2024"
CHOSEN = "my own 7 words"


async def test_an_admin_set_password_must_be_changed_before_anything_else(
    ebr: Ebr, trust: SiteTrust
) -> None:
    user = new_user(
        ebr.engine, trust, password=INITIAL, with_key=False, must_change=True, prefix="new"
    )
    answer = await ebr.http.post("/api/auth/token", data={"username": user, "password": INITIAL})
    assert answer.status_code == 200, answer.text
    assert answer.json()["password_change_required"] is True
    headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}

    assert (await ebr.http.get("/api/me", headers=headers)).json()["user_id"] == user
    for path in ("/api/batches", "/api/recipes", "/api/batches/NO-SUCH/records"):
        error = assert_error(
            await ebr.http.get(path, headers=headers), 403, "password_change_required"
        )
        assert "/api/me/password" in error["message"]
    batch_id = await started(ebr)
    step = await ebr.http.post(
        f"/api/batches/{batch_id}/steps/line-clearance/complete",
        headers=headers,
        json={
            "values": {"area-clear": True},
            "signature": {"meaning": "performed", "user_id": user, "password": INITIAL},
        },
    )
    assert_error(step, 403, "password_change_required")

    change = "/api/me/password"
    for weak, rule in [
        ("short1", "at least"),
        ("onlyletterslong", "digit or symbol"),
        (f"{user}-2024!", "user id"),
        (INITIAL, "different from the current"),
    ]:
        error = assert_error(
            await ebr.http.post(
                change, headers=headers, json={"old_password": INITIAL, "new_password": weak}
            ),
            422,
            "password_rejected",
        )
        assert error["details"]["field"] == "new_password"
        assert any(rule in r for r in error["details"]["rules"]), error
        assert rule in error["message"]
    wrong_old = await ebr.http.post(
        change, headers=headers, json={"old_password": "guess-1234", "new_password": CHOSEN}
    )
    assert_error(wrong_old, 401, "invalid_credentials")
    assert key_row(ebr.engine, user) is None, "no key until the user chose their password"
    assert user_row(ebr.engine, user).must_change_password

    done = await ebr.http.post(
        change, headers=headers, json={"old_password": INITIAL, "new_password": CHOSEN}
    )
    assert done.status_code == 204, done.text
    assert done.content == b""
    assert not user_row(ebr.engine, user).must_change_password
    key = key_row(ebr.engine, user)
    assert key is not None
    wrapped = WrappedKey.from_json(key.wrapped)
    with pytest.raises(WrongPassword):
        unwrap_key(wrapped, INITIAL)
    unwrap_key(wrapped, CHOSEN)

    # The change ended the session it was made in: the token opened with the administrator's
    # password reaches nothing. Signed in again with the password they chose, the user reaches
    # everything and signs with it.
    ended = assert_error(await ebr.http.get("/api/batches", headers=headers), 401, "session_ended")
    assert ended["details"] == {"reason": "password changed"}
    relogin = await ebr.http.post("/api/auth/token", data={"username": user, "password": CHOSEN})
    assert relogin.json()["password_change_required"] is False
    headers = {"Authorization": f"Bearer {relogin.json()['access_token']}"}
    assert (await ebr.http.get("/api/batches", headers=headers)).status_code == 200
    signed = await ebr.http.post(
        f"/api/batches/{batch_id}/steps/line-clearance/complete",
        headers=headers,
        json={
            "values": {"area-clear": True},
            "signature": {"meaning": "performed", "user_id": user, "password": CHOSEN},
        },
    )
    assert signed.status_code == 200, signed.text
    assert signed.json()["record"]["signed"]["key_id"] == key.key_id

    changed = [
        e for e in await audit_entries(ebr, entity_id=user) if e["action"] == "password_changed"
    ]
    assert [e["new_value"] for e in changed] == [{"key_id": key.key_id}]
    assert INITIAL not in str(changed) and CHOSEN not in str(changed)


async def test_a_password_change_rewraps_the_key_it_does_not_replace_it(
    ebr: Ebr, trust: SiteTrust
) -> None:
    """A user who already signs keeps their key (and its certificate) across a change."""
    user = new_user(ebr.engine, trust, password=INITIAL, roles=(Role.OPERATOR,), prefix="chg")
    before = key_row(ebr.engine, user)
    assert before is not None
    await ebr.token(user, INITIAL)
    answer = await ebr.post(
        user, "/api/me/password", json={"old_password": INITIAL, "new_password": CHOSEN}
    )
    assert answer.status_code == 204, answer.text
    after = key_row(ebr.engine, user)
    assert after is not None
    assert (after.key_id, after.certificate_pem) == (before.key_id, before.certificate_pem)
    with pytest.raises(WrongPassword):
        unwrap_key(WrappedKey.from_json(after.wrapped), INITIAL)
    unwrap_key(WrappedKey.from_json(after.wrapped), CHOSEN)


async def test_a_password_changed_back_is_refused(ebr: Ebr, trust: SiteTrust) -> None:
    """A to B to A: the history keeps the last five, so a forced change cannot be undone."""
    user = new_user(ebr.engine, trust, password=INITIAL, prefix="back")
    token = await ebr.http.post("/api/auth/token", data={"username": user, "password": INITIAL})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    change = "/api/me/password"
    done = await ebr.http.post(
        change, headers=headers, json={"old_password": INITIAL, "new_password": CHOSEN}
    )
    assert done.status_code == 204, done.text
    token = await ebr.http.post("/api/auth/token", data={"username": user, "password": CHOSEN})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    back = await ebr.http.post(
        change, headers=headers, json={"old_password": CHOSEN, "new_password": INITIAL}
    )
    error = assert_error(back, 422, "password_rejected")
    assert error["details"] == {
        "field": "new_password",
        "rules": ["not one of your last 5 passwords"],
    }
    assert (await ebr.http.get("/api/me", headers=headers)).status_code == 200, (
        "a refused change ends no session"
    )


async def test_an_administrator_cannot_set_a_weak_initial_password(ebr: Ebr) -> None:
    user_id = f"weak-{batch_number('x').lower()}"
    body = signed_act("new hire", user_id=user_id, full_name="Wendy Weak", roles=["auditor"])
    answer = await ebr.post("adam", "/api/users", json={**body, "initial_password": "abcdefgh"})
    error = assert_error(answer, 422, "password_rejected")
    assert error["details"]["field"] == "initial_password"
    assert "at least 10 characters" in error["details"]["rules"]
    assert "letters and at least one digit or symbol" in error["details"]["rules"]
    created = await ebr.post(
        "adam", "/api/users", json={**body, "initial_password": "Wendy-starts-42"}
    )
    assert created.status_code == 201, created.text
