"""Signing in and bearer tokens: wrong secrets, expiry, forgery and disabled accounts are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from api.tokens import ALGORITHM, ISSUER, issue
from ebr.accounts import disable_user, enable_user
from ebr.domain.roles import Role
from ebr.passwords import hash_password
from tests.api.harness import TOKEN_SECRET, Ebr, password_of
from tests.api.steps import assert_error, batch_number
from tests.enrolment import enrol, registrars

pytestmark = pytest.mark.e2e

BAD_LOGIN = "the user id or password is not correct, or the account is disabled"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def add_disabled_user(ebr: Ebr, user_id: str, password: str) -> None:
    enrol(
        ebr.engine,
        ebr.trust,
        user_id=user_id,
        full_name="Dora Disabled",
        roles=[Role.OPERATOR],
        password_hash=hash_password(password),
    )
    set_active(ebr, user_id, active=False)


def set_active(ebr: Ebr, user_id: str, *, active: bool) -> None:
    """Enable or disable the account as an administrator does: signed, with a reason."""
    act = enable_user if active else disable_user
    admin = registrars(ebr.engine, ebr.trust).admin
    act(ebr.engine, signatory=admin, user_id=user_id, reason="a test", now=datetime.now(UTC))


async def test_login_gives_a_token_that_names_the_user(ebr: Ebr) -> None:
    answer = await ebr.http.post(
        "/api/auth/token", data={"username": "sam", "password": "ebr-demo-lindqvist"}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == ebr.settings.token_minutes * 60
    assert body["user"] == {
        "user_id": "sam",
        "full_name": "Sam Lindqvist",
        "roles": ["operator", "supervisor"],
        "active": True,
        "created_by": "adam",
        "identity_confirmed_by": "quinn",
    }
    me = await ebr.http.get("/api/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["user_id"] == "sam"


@pytest.mark.parametrize(
    ("username", "password"),
    [("sam", "ebr-demo-okafor"), ("nobody", "ebr-demo-nobody"), ("SAM", "ebr-demo-lindqvist")],
    ids=["wrong-password", "unknown-user", "user-id-is-case-sensitive"],
)
async def test_a_bad_login_is_401_with_one_message_for_every_cause(
    ebr: Ebr, username: str, password: str
) -> None:
    answer = await ebr.http.post(
        "/api/auth/token", data={"username": username, "password": password}
    )
    body = assert_error(answer, 401, "invalid_credentials")
    assert body["message"] == BAD_LOGIN
    assert body["details"] is None


async def test_a_login_without_the_form_fields_is_422_naming_them(ebr: Ebr) -> None:
    answer = await ebr.http.post("/api/auth/token", data={"username": "sam"})
    body = assert_error(answer, 422, "invalid_request")
    assert [d["field"] for d in body["details"]] == ["password"]


@pytest.mark.parametrize(
    "path", ["/api/me", "/api/recipes", "/api/batches", "/api/batches/B-1", "/api/recipes/X/1"]
)
async def test_reading_needs_a_token(ebr: Ebr, path: str) -> None:
    body = assert_error(await ebr.http.get(path), 401, "not_authenticated")
    assert "sign in first" in body["message"]


async def test_changing_needs_a_token(ebr: Ebr) -> None:
    answers = [
        await ebr.http.post("/api/batches", json={}),
        await ebr.http.post("/api/batches/B-1/steps/mix/complete", json={}),
        await ebr.http.post("/api/batches/B-1/steps/mix/verify", json={}),
        await ebr.http.post("/api/recipes", content=b"code: X", headers=YAML),
    ]
    for answer in answers:
        assert_error(answer, 401, "not_authenticated")


YAML = {"Content-Type": "application/yaml"}


def claims(
    user_id: str = "sam", minutes: int = 30, sid: str = "no-such-session"
) -> dict[str, object]:
    now = datetime.now(UTC)
    return {
        "sub": user_id,
        "sid": sid,
        "iss": ISSUER,
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
    }


def token(user_id: str, minutes: int = 30, sid: str = "no-such-session") -> str:
    return issue(secret=TOKEN_SECRET, user_id=user_id, session_id=sid, minutes=minutes)


def forged_tokens() -> dict[str, str]:
    valid = token("olga")
    head, payload, signature = valid.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return {
        "another-secret": jwt.encode(
            claims(), "not-the-site-secret-but-just-as-long-xx", ALGORITHM
        ),
        "expired": token("sam", minutes=-1),
        "alg-none": jwt.encode(claims(), "", algorithm="none"),
        "signature-flipped": f"{head}.{payload}.{flipped}",
        "olga-payload-on-sams-signature": ".".join([head, payload, token("sam").split(".")[2]]),
        "wrong-issuer": jwt.encode({**claims(), "iss": "elsewhere"}, TOKEN_SECRET, ALGORITHM),
        "no-expiry": jwt.encode({"sub": "sam", "sid": "x", "iss": ISSUER}, TOKEN_SECRET, ALGORITHM),
        "unknown-user": token("mallory"),
        # Properly signed, but naming no session: a session is what a token is good for.
        "no-session-id": jwt.encode(
            {k: v for k, v in claims().items() if k != "sid"}, TOKEN_SECRET, ALGORITHM
        ),
        "garbage": "not.a.token",
    }


@pytest.mark.parametrize("kind", list(forged_tokens()))
async def test_a_forged_expired_or_malformed_token_is_refused(ebr: Ebr, kind: str) -> None:
    forged = forged_tokens()[kind]
    answer = await ebr.http.get("/api/me", headers=bearer(forged))
    assert answer.status_code == 401
    assert answer.json()["error"] in ("not_authenticated", "session_ended")
    start = await ebr.http.post(
        "/api/batches",
        headers=bearer(forged),
        json={
            "recipe_code": "DEMO-SHORT",
            "recipe_version": 1,
            "batch_number": batch_number(),
            "planned_quantity": {"value": "10", "unit": "kg"},
        },
    )
    assert start.status_code == 401


async def test_a_token_signed_with_the_site_secret_on_a_live_session_is_accepted(
    ebr: Ebr,
) -> None:
    """The control for the forgeries above: the claims of a real sign-in (its session id),
    signed with the site secret, pass; the same session id under another user id does not."""
    answer = await ebr.http.post(
        "/api/auth/token", data={"username": "quinn", "password": password_of("quinn")}
    )
    sid = jwt.decode(answer.json()["access_token"], options={"verify_signature": False})["sid"]
    token_ = jwt.encode(claims("quinn", sid=sid), TOKEN_SECRET, ALGORITHM)
    me = await ebr.http.get("/api/me", headers=bearer(token_))
    assert me.status_code == 200
    assert me.json()["user_id"] == "quinn"
    borrowed = jwt.encode(claims("sam", sid=sid), TOKEN_SECRET, ALGORITHM)
    assert_error(await ebr.http.get("/api/me", headers=bearer(borrowed)), 401, "session_ended")


async def test_a_disabled_user_cannot_sign_in_and_their_tokens_stop_working(ebr: Ebr) -> None:
    user_id = f"dora-{batch_number('x').lower()}"
    add_disabled_user(ebr, user_id, "correct horse")
    answer = await ebr.http.post(
        "/api/auth/token", data={"username": user_id, "password": "correct horse"}
    )
    assert assert_error(answer, 401, "invalid_credentials")["message"] == BAD_LOGIN

    set_active(ebr, user_id, active=True)
    answer = await ebr.http.post(
        "/api/auth/token", data={"username": user_id, "password": "correct horse"}
    )
    assert answer.status_code == 200
    token = answer.json()["access_token"]
    set_active(ebr, user_id, active=False)  # signed by an administrator: the sessions end
    ended = assert_error(await ebr.http.get("/api/me", headers=bearer(token)), 401, "session_ended")
    assert ended["details"] == {"reason": "account disabled"}
