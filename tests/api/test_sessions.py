"""Sessions that end, attacked over HTTP: after signing out, a password change, disabling the
account or a role change, no way in of that person works any more (an API token, a page cookie,
the cookie replayed as a bearer token), at once and at every station. And within a session, a
signature naming another person is refused and records nothing."""

from __future__ import annotations

import pytest

from ebr.domain.roles import Role
from ebr.trust import SiteTrust
from tests.api.harness import Ebr, sign
from tests.api.people import audit_entries, signed_act
from tests.api.sessions import ENDED, all_refused, api_token, page_cookie, ways_in, with_cookie
from tests.api.steps import assert_error, started
from tests.api.test_signing import STEP, signed_clearance, stored
from tests.people import new_user

pytestmark = pytest.mark.e2e

PASSWORD = "Session-pass-42"
NEW = "Session-new-77"


async def test_signing_out_by_the_api_ends_every_session_of_the_person(
    ebr: Ebr, trust: SiteTrust
) -> None:
    user = new_user(ebr.engine, trust, password=PASSWORD, with_key=False, prefix="out")
    here, there = await ways_in(ebr.http, user, PASSWORD), await ways_in(ebr.http, user, PASSWORD)
    assert (await ebr.http.get("/api/me", headers=there.cookie_as_bearer())).status_code == 200, (
        "before: the cookie replays as a bearer token (the reason sessions must end)"
    )
    out = await ebr.http.post("/api/auth/logout", headers=here.bearer())
    assert out.status_code == 204, out.text
    assert await all_refused(ebr.http, here) == ENDED
    assert await all_refused(ebr.http, there) == ENDED, "other stations' sessions too"
    ended = [e for e in await audit_entries(ebr, entity_id=user) if e["action"] == "sessions_ended"]
    assert [(e["actor"], e["reason"], e["new_value"]) for e in ended] == [
        (user, "signed out", {"sessions": 4})
    ]
    assert await api_token(ebr.http, user, PASSWORD), "signing in again opens a new session"


async def test_signing_out_of_the_pages_ends_the_api_tokens_too(ebr: Ebr, trust: SiteTrust) -> None:
    user = new_user(ebr.engine, trust, password=PASSWORD, with_key=False, prefix="pgout")
    ways = await ways_in(ebr.http, user, PASSWORD)
    out = await ebr.http.post(
        "/logout", data={"csrf_token": ways.csrf}, headers=with_cookie(ways.cookie)
    )
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert await all_refused(ebr.http, ways) == ENDED


async def test_a_password_change_ends_every_session_of_the_person(
    ebr: Ebr, trust: SiteTrust
) -> None:
    user = new_user(ebr.engine, trust, password=PASSWORD, prefix="pwd")
    ways = await ways_in(ebr.http, user, PASSWORD)
    other = await api_token(ebr.http, user, PASSWORD)
    change = await ebr.http.post(
        "/api/me/password",
        headers={"Authorization": f"Bearer {other}"},
        json={"old_password": PASSWORD, "new_password": NEW},
    )
    assert change.status_code == 204, change.text
    assert await all_refused(ebr.http, ways) == ENDED
    error = assert_error(
        await ebr.http.get("/api/me", headers={"Authorization": f"Bearer {other}"}),
        401,
        "session_ended",
    )
    assert error["details"] == {"reason": "password changed"}
    assert "sign in again" in error["message"]
    assert await api_token(ebr.http, user, NEW)


async def test_a_password_changed_on_the_page_ends_the_others_and_keeps_this_browser(
    ebr: Ebr, trust: SiteTrust
) -> None:
    user = new_user(ebr.engine, trust, password=PASSWORD, prefix="pgpwd")
    elsewhere = await ways_in(ebr.http, user, PASSWORD)
    cookie, csrf = await page_cookie(ebr.http, user, PASSWORD)
    form = {
        "csrf_token": csrf,
        "old_password": PASSWORD,
        "new_password": NEW,
        "repeat_password": NEW,
    }
    answer = await ebr.http.post("/password", data=form, headers=with_cookie(cookie))
    assert answer.status_code == 303, answer.text
    fresh = answer.cookies["ebr_session"]
    assert fresh != cookie
    ebr.http.cookies.clear()
    changed = await ebr.http.get(answer.headers["location"], headers=with_cookie(fresh))
    assert changed.status_code == 200 and "Every other session" in changed.text
    assert await all_refused(ebr.http, elsewhere) == ENDED
    old_cookie = await ebr.http.get("/api/me", headers={"Authorization": f"Bearer {cookie}"})
    assert_error(old_cookie, 401, "session_ended")


async def test_disabling_an_account_ends_its_sessions_at_once(ebr: Ebr, trust: SiteTrust) -> None:
    user = new_user(ebr.engine, trust, password=PASSWORD, with_key=False, prefix="dis")
    ways = await ways_in(ebr.http, user, PASSWORD)
    reason = "left the company, ticket 88"
    answer = await ebr.post("adam", f"/api/users/{user}/disable", json=signed_act(reason))
    assert answer.status_code == 200, answer.text
    assert await all_refused(ebr.http, ways) == ENDED
    trail = await audit_entries(ebr, entity_id=user)
    assert [(e["actor"], e["reason"]) for e in trail if e["action"] == "sessions_ended"] == [
        ("adam", "account disabled")
    ]


async def test_a_role_change_ends_every_session_and_needs_an_admin_and_a_reason(
    ebr: Ebr, trust: SiteTrust
) -> None:
    user = new_user(ebr.engine, trust, password=PASSWORD, with_key=False, prefix="role")
    ways = await ways_in(ebr.http, user, PASSWORD)
    path = f"/api/users/{user}/roles"
    for someone in ("quinn", "sam"):
        refused = await ebr.http.put(
            path,
            headers=await ebr.headers(someone),
            json=signed_act("please", by=someone, roles=["qa"]),
        )
        assert_error(refused, 403, "role_not_allowed")
    blank = await ebr.http.put(
        path, headers=await ebr.headers("adam"), json=signed_act(" ", roles=["qa"])
    )
    assert_error(blank, 422, "reason_required")
    assert (await ebr.http.get("/api/me", headers=ways.bearer())).status_code == 200

    answer = await ebr.http.put(
        path,
        headers=await ebr.headers("adam"),
        json=signed_act("moved to QA, form 12", roles=["qa"]),
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["roles"] == ["qa"]
    assert await all_refused(ebr.http, ways) == ENDED
    trail = await audit_entries(ebr, entity_id=user)
    (changed,) = [e for e in trail if e["action"] == "user_roles_changed"]
    assert (changed["old_value"], changed["new_value"]) == (
        {"roles": [Role.OPERATOR.value]},
        {"roles": ["qa"], "record_id": f"account:{user}/3"},
    )
    again = await api_token(ebr.http, user, PASSWORD)
    me = await ebr.http.get("/api/me", headers={"Authorization": f"Bearer {again}"})
    assert me.json()["roles"] == ["qa"]


async def test_a_later_signature_naming_another_person_is_refused_and_records_nothing(
    ebr: Ebr, trust: SiteTrust
) -> None:
    """The first signature of the session is the user's own; the next one names olga (whose
    password the user may know): refused before any password is tried, nothing recorded, and
    nothing counted against either account."""
    user = new_user(ebr.engine, trust, password=PASSWORD, prefix="sig")
    await ebr.token(user, PASSWORD)
    batch_id = await started(ebr)
    first = await signed_clearance(ebr, user, batch_id, sign(user, "performed", password=PASSWORD))
    assert first.status_code == 200, first.text
    verify = await ebr.post(
        "sam",
        f"/api/batches/{batch_id}/steps/{STEP}/verify",
        json={"signature": sign("sam", "verified")},
    )
    assert verify.status_code == 200, verify.text
    before = stored(ebr, batch_id)

    as_olga = await ebr.post(
        user,
        f"/api/batches/{batch_id}/steps/weigh-powder/complete",
        json={
            "values": {"powder-lot": "PWD-0042", "powder-mass": "10.01"},
            "signature": sign("olga", "performed"),
        },
    )
    error = assert_error(as_olga, 403, "signer_not_signed_in")
    assert error["details"] == {"field": "signature.user_id", "session_user_id": user}
    assert "nothing was signed or recorded" in error["message"].lower()
    assert stored(ebr, batch_id) == before
    trail = await audit_entries(ebr, entity_id=user)
    assert trail[-1]["action"] == "signature_refused"
    assert trail[-1]["new_value"] == {"claimed_user_id": "olga"}
