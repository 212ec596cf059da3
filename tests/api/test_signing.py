"""The signing ceremony attacked over HTTP: wrong passwords, lockout, unlock, session start,
meanings, and passwords where they do not belong. Every refusal stores no record."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ebr.domain.roles import Role
from ebr.store.db import session_scope
from ebr.store.signed_records import list_batch_records
from ebr.trust import SiteTrust
from tests.api.harness import Ebr, sign
from tests.api.people import audit_entries, signed_act, user_row
from tests.api.steps import assert_error, complete, started
from tests.people import new_user

pytestmark = pytest.mark.e2e

CLEARANCE = {"area-clear": True}
STEP = "line-clearance"
PASSWORD = "Tess-initial-42"


def stored(ebr: Ebr, batch_id: str) -> list[tuple[str, str, str]]:
    with session_scope(ebr.engine) as session:
        rows = list_batch_records(session=session, batch_id=batch_id)
    return [(r.subject_id, r.meaning, r.user_id) for r in rows]


async def signed_clearance(
    ebr: Ebr, user: str, batch_id: str, signature: dict[str, Any]
) -> httpx.Response:
    return await ebr.post(
        user,
        f"/api/batches/{batch_id}/steps/{STEP}/complete",
        json={"values": CLEARANCE, "signature": signature},
    )


async def login(ebr: Ebr, user_id: str, password: str) -> httpx.Response:
    return await ebr.http.post("/api/auth/token", data={"username": user_id, "password": password})


async def test_a_wrong_password_is_401_records_nothing_and_is_audited(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    answer = await signed_clearance(
        ebr, "olga", batch_id, sign("olga", "performed", password="ebr-demo-haddad")
    )
    error = assert_error(answer, 401, "signature_refused")
    assert error["details"] == {"field": "password"}
    assert "not applied" in error["message"]
    assert stored(ebr, batch_id) == []

    failures = [
        e for e in await audit_entries(ebr, user="olga") if e["action"] == "signature_failed"
    ]
    assert failures, "the failed signature is in the audit trail"
    assert failures[-1]["entity"] == "user" and failures[-1]["entity_id"] == "olga"
    assert failures[-1]["new_value"] == {"failed_attempts": 1}
    assert "ebr-demo-haddad" not in str(failures), "the password tried is never recorded"

    answer = await signed_clearance(ebr, "olga", batch_id, sign("olga", "performed"))
    assert answer.status_code == 200, answer.text
    assert user_row(ebr.engine, "olga").failed_attempts == 0, "a good signature resets the count"


async def test_five_wrong_signature_passwords_lock_the_account_until_an_admin_unlocks_it(
    ebr: Ebr, trust: SiteTrust
) -> None:
    user = new_user(ebr.engine, trust, password=PASSWORD, prefix="lock")
    await ebr.token(user, PASSWORD)
    batch_id = await started(ebr)
    wrong = sign(user, "performed", password="not-my-password-1")
    limit = ebr.settings.max_failed_attempts
    assert limit == 5
    for _ in range(limit - 1):
        assert_error(await signed_clearance(ebr, user, batch_id, wrong), 401, "signature_refused")
    locked = assert_error(await signed_clearance(ebr, user, batch_id, wrong), 423, "account_locked")
    assert "or until an administrator unlocks it" in locked["message"]
    assert locked["details"]["locked_until"] is not None, "a timed lockout (EBR_LOCKOUT_MINUTES)"
    assert int(locked["details"]["retry_after"]) > 0
    assert user_row(ebr.engine, user).locked_at is not None

    # Locked: the session that guessed is over (whoever guessed may be at the user's unattended
    # station), so not even the right password signs in it; nor does a new sign-in get through.
    right = sign(user, "performed", password=PASSWORD)
    ended = assert_error(await signed_clearance(ebr, user, batch_id, right), 401, "session_ended")
    assert ended["details"] == {"reason": "account locked"}
    assert_error(await ebr.get(user, "/api/batches"), 401, "session_ended")
    assert_error(await login(ebr, user, PASSWORD), 423, "account_locked")
    assert stored(ebr, batch_id) == []
    trail = await audit_entries(ebr, entity="user", entity_id=user)
    actions = [e["action"] for e in trail]
    assert actions.count("signature_failed") == limit
    assert "account_locked" in actions
    assert "sessions_ended" in actions, "the lockout ended the person's sessions, audited"

    reason = "identity confirmed by phone, ticket 4711"
    unlocked = await ebr.post("adam", f"/api/users/{user}/unlock", json=signed_act(reason))
    assert unlocked.status_code == 200, unlocked.text
    assert unlocked.json()["user_id"] == user
    assert (await login(ebr, user, PASSWORD)).status_code == 200
    ebr.forget_token(user)  # the token from before the lock names an ended session
    await ebr.token(user, PASSWORD)
    answer = await signed_clearance(ebr, user, batch_id, right)
    assert answer.status_code == 200, answer.text
    assert stored(ebr, batch_id) == [(STEP, "performed", user)]

    unlocks = [
        e for e in await audit_entries(ebr, entity_id=user) if e["action"] == "user_unlocked"
    ]
    assert [(e["actor"], e["reason"]) for e in unlocks] == [("adam", reason)]


async def test_unlocking_needs_a_reason_and_an_admin(ebr: Ebr, trust: SiteTrust) -> None:
    user = new_user(ebr.engine, trust, password=PASSWORD, with_key=False, prefix="unl")
    path = f"/api/users/{user}/unlock"
    signature = {"signature": sign("adam", "approved")}
    missing = assert_error(await ebr.post("adam", path, json=signature), 422, "invalid_request")
    assert [d["field"] for d in missing["details"]] == ["reason"]
    empty = assert_error(
        await ebr.post("adam", path, json={**signature, "reason": ""}), 422, "invalid_request"
    )
    assert [d["field"] for d in empty["details"]] == ["reason"]
    blank = assert_error(
        await ebr.post("adam", path, json=signed_act("   ")), 422, "reason_required"
    )
    assert blank["details"] == {"field": "reason"}
    for someone in ("quinn", "sam", "olga"):
        refused = assert_error(
            await ebr.post(someone, path, json=signed_act("please", by=someone)),
            403,
            "role_not_allowed",
        )
        assert refused["details"] == {"required_roles": ["admin"]}
    assert not [
        e for e in await audit_entries(ebr, entity_id=user) if e["action"] == "user_unlocked"
    ], "no refused unlock is in the trail"
    disable = f"/api/users/{user}/disable"
    blank = assert_error(
        await ebr.post("adam", disable, json=signed_act(" ")), 422, "reason_required"
    )
    assert blank["details"] == {"field": "reason"}
    assert user_row(ebr.engine, user).active, "a refused disable changes nothing"


async def test_the_first_signature_of_a_session_needs_the_user_id(
    ebr: Ebr, trust: SiteTrust
) -> None:
    user = new_user(ebr.engine, trust, password=PASSWORD, roles=(Role.OPERATOR,), prefix="sess")
    await ebr.token(user, PASSWORD)  # a new session
    batch_id = await started(ebr)
    password_only = {"meaning": "performed", "password": PASSWORD}
    error = assert_error(
        await signed_clearance(ebr, user, batch_id, password_only), 401, "signature_refused"
    )
    assert error["details"] == {"field": "user_id"}
    assert "user id and password" in error["message"]
    someone_else = {**password_only, "user_id": "olga"}
    assert_error(
        await signed_clearance(ebr, user, batch_id, someone_else), 403, "signer_not_signed_in"
    )
    assert stored(ebr, batch_id) == []
    assert user_row(ebr.engine, user).failed_attempts == 0, "a missing user id is no guess"

    both = {**password_only, "user_id": user}
    assert (await signed_clearance(ebr, user, batch_id, both)).status_code == 200
    verify = await ebr.post(
        "sam",
        f"/api/batches/{batch_id}/steps/{STEP}/verify",
        json={"signature": sign("sam", "verified")},
    )
    assert verify.status_code == 200, verify.text
    weighing = {"powder-lot": "PWD-0042", "powder-mass": "10.01"}
    second = await ebr.post(
        user,
        f"/api/batches/{batch_id}/steps/weigh-powder/complete",
        json={"values": weighing, "signature": password_only},
    )
    assert second.status_code == 200, second.text
    assert [m for _, m, u in stored(ebr, batch_id) if u == user] == ["performed", "performed"]


@pytest.mark.parametrize(
    ("action", "meaning"),
    [("complete", "verified"), ("complete", "corrected"), ("verify", "performed")],
)
async def test_a_meaning_that_is_not_the_actions_is_422(
    ebr: Ebr, action: str, meaning: str
) -> None:
    batch_id = await started(ebr)
    user = "olga"
    if action == "verify":
        assert (await complete(ebr, "olga", batch_id, STEP, CLEARANCE)).status_code == 200
        user = "sam"
    answer = await ebr.post(
        user,
        f"/api/batches/{batch_id}/steps/{STEP}/{action}",
        json={"values": CLEARANCE, "signature": sign(user, meaning)},
    )
    error = assert_error(answer, 422, "wrong_meaning")
    assert error["details"] == {"field": "signature.meaning"}
    assert meaning in error["message"]
    assert len(stored(ebr, batch_id)) == (1 if action == "verify" else 0)


async def test_an_unknown_meaning_is_422(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    answer = await signed_clearance(ebr, "olga", batch_id, sign("olga", "witnessed"))
    error = assert_error(answer, 422, "invalid_request")
    assert [d["field"] for d in error["details"]] == ["signature.meaning"]
    assert stored(ebr, batch_id) == []


async def test_the_password_is_not_taken_from_the_url(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    signature = sign("olga", "performed")
    answer = await ebr.post(
        "olga",
        f"/api/batches/{batch_id}/steps/{STEP}/complete",
        params=signature,
        json={"values": CLEARANCE},
    )
    error = assert_error(answer, 422, "invalid_request")
    assert [d["field"] for d in error["details"]] == ["signature"]
    answer = await ebr.post(
        "olga",
        f"/api/batches/{batch_id}/steps/{STEP}/complete",
        params={"signature": "ebr-demo-okafor", "password": "ebr-demo-okafor"},
        json={"values": CLEARANCE, "signature": {"meaning": "performed", "user_id": "olga"}},
    )
    error = assert_error(answer, 422, "invalid_request")
    assert [d["field"] for d in error["details"]] == ["signature.password"]
    assert stored(ebr, batch_id) == []


async def test_an_empty_password_is_refused_before_any_key_is_tried(ebr: Ebr) -> None:
    batch_id = await started(ebr)
    answer = await signed_clearance(ebr, "olga", batch_id, sign("olga", "performed", password=""))
    error = assert_error(answer, 422, "invalid_request")
    assert [d["field"] for d in error["details"]] == ["signature.password"]
    assert stored(ebr, batch_id) == []
