"""Lockout without denial of service, attacked over HTTP with the clock in the test's hands: an
anonymous attacker's wrong passwords meet growing delays (429 with ``Retry-After``, no password
tried meanwhile), then a lockout that ends by itself after the cooling period, so the real user
signs in again; every lockout is an alert that admin and QA see (API and pages) and an operator
may not; and sessions end after ``EBR_IDLE_MINUTES`` without a request, pages and API alike,
their last-seen time written at most once a minute."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import jwt
import pytest

from ebr.domain.roles import Role
from ebr.store import session_scope
from ebr.store.audit import list_audit
from ebr.store.sessions import SessionRow, get_session
from ebr.trust import SiteTrust
from tests.api.clocked import Clocked, clocked_api
from tests.api.conftest import BACKENDS
from tests.api.harness import password_of, seeded_store
from tests.api.sessions import ENDED, HIDDEN_TOKEN, all_refused, api_token, ways_in, with_cookie
from tests.api.steps import assert_error
from tests.people import new_user

PASSWORD = "Quality-pass-31"
ATTACKER, DESK, OFFICE = "203.0.113.50", "198.51.100.10", "192.0.2.10"


@pytest.fixture(scope="module", params=BACKENDS)
def clocked(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, trust: SiteTrust
) -> Iterator[Clocked]:
    """A clocked API on a demo-seeded store of its own, on each backend."""
    with (
        seeded_store(request.param, tmp_path_factory.mktemp("clocked"), trust) as url,
        clocked_api(url, trust) as api,
    ):
        yield api


def login_form(user_id: str, password: str) -> dict[str, str]:
    return {"username": user_id, "password": password}


async def bearer(http: httpx.AsyncClient, user_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {await api_token(http, user_id, password_of(user_id))}"}


async def test_an_anonymous_attacker_cannot_lock_an_account_for_good(clocked: Clocked) -> None:
    settings = clocked.settings
    assert (settings.max_failed_attempts, settings.lockout_minutes) == (5, 30)
    qa = new_user(clocked.engine, clocked.trust, password=PASSWORD, roles=(Role.QA,), prefix="qa")
    async with clocked.client(ATTACKER) as attacker, clocked.client(DESK) as desk:
        for n in range(1, 5):
            wrong = await attacker.post("/api/auth/token", data=login_form(qa, f"guess-{n}"))
            assert_error(wrong, 401, "invalid_credentials")
            again = await attacker.post("/api/auth/token", data=login_form(qa, f"again-{n}"))
            body = assert_error(again, 429, "sign_in_throttled")
            wait = 2 ** (n - 1)
            assert again.headers["Retry-After"] == str(wait) == str(body["details"]["retry_after"])
            real = await desk.post("/api/auth/token", data=login_form(qa, PASSWORD))
            assert_error(real, 429, "sign_in_throttled")  # the delay holds for the account
            clocked.clock.advance(seconds=wait)
        fifth = await attacker.post("/api/auth/token", data=login_form(qa, "guess-5"))
        locked = assert_error(fifth, 423, "account_locked")
        assert fifth.headers["Retry-After"] == "1800"
        assert "or until an administrator unlocks it" in locked["message"]

        clocked.clock.advance(minutes=29, seconds=59)
        early = await desk.post("/api/auth/token", data=login_form(qa, PASSWORD))
        assert_error(early, 423, "account_locked")
        clocked.clock.advance(seconds=1)
        back = await desk.post("/api/auth/token", data=login_form(qa, PASSWORD))
        assert back.status_code == 200, back.text
    with session_scope(clocked.engine) as session:
        trail = list_audit(session=session, entity_id=qa, limit=1000)
    actions = [(e.action, e.actor) for e in trail]
    assert actions.count(("login_failed", qa)) == 5, "only the passwords tried are failures"
    assert ("account_locked", "system") in actions
    assert ("user_unlocked", "system") in actions, "the timed unlock is audited"


async def test_every_lockout_is_an_alert_for_admin_and_qa_and_not_for_operators(
    clocked: Clocked,
) -> None:
    victim = new_user(clocked.engine, clocked.trust, password=PASSWORD, prefix="victim")
    async with clocked.client(f"203.0.113.{uuid.uuid4().int % 200}") as attacker:
        for n in range(5):
            await attacker.post("/api/auth/token", data=login_form(victim, f"guess-{n}"))
            clocked.clock.advance(minutes=5)
    async with clocked.client(OFFICE) as office:
        for reader in ("quinn", "adam"):
            answer = await office.get("/api/alerts", headers=await bearer(office, reader))
            assert answer.status_code == 200, answer.text
            mine = [a for a in answer.json() if a["user_id"] == victim]
            assert len(mine) == 1, answer.json()
            assert mine[0]["kind"] == "account_locked"
            assert f"Account {victim}" in mine[0]["message"]
            assert mine[0]["detail"]["failed_attempts"] == 5
        refused = await office.get("/api/alerts", headers=await bearer(office, "olga"))
        assert assert_error(refused, 403, "role_not_allowed")["details"] == {
            "required_roles": ["admin", "qa"]
        }

        quinn = await ways_in(office, "quinn", password_of("quinn"))
        page = await office.get("/alerts", headers=with_cookie(quinn.cookie))
        assert page.status_code == 200 and f"Account {victim}" in page.text
        home = await office.get("/", headers=with_cookie(quinn.cookie))
        assert 'id="alerts-link"' in home.text
        olga = await ways_in(office, "olga", password_of("olga"))
        page = await office.get("/alerts", headers=with_cookie(olga.cookie))
        assert page.status_code == 403 and victim not in page.text
        home = await office.get("/", headers=with_cookie(olga.cookie))
        assert 'id="alerts-link"' not in home.text
    with session_scope(clocked.engine) as session:
        raised = list_audit(session=session, entity="alert", limit=1000)
    assert any(e.new_value["user_id"] == victim for e in raised), "the alert is audited"


async def test_the_login_page_says_how_long_to_wait(clocked: Clocked) -> None:
    user = new_user(clocked.engine, clocked.trust, password=PASSWORD, prefix="page")
    async with clocked.client("203.0.113.7") as browser:

        async def post(password: str) -> httpx.Response:
            form = await browser.get("/login")
            token = HIDDEN_TOKEN.search(form.text)
            assert token
            data = {"csrf_token": token[1], "user_id": user, "password": password}
            return await browser.post("/login", data=data)

        assert (await post("guess-1")).status_code == 401
        throttled = await post(PASSWORD)
        assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "1"
        assert "Wait 1 seconds, then try again" in throttled.text
        assert PASSWORD not in throttled.text
        clocked.clock.advance(seconds=1)
        assert (await post(PASSWORD)).status_code == 303


async def test_a_session_idle_longer_than_the_lapse_ends_on_pages_and_api(
    clocked: Clocked,
) -> None:
    assert clocked.settings.idle_minutes == 15
    user = new_user(clocked.engine, clocked.trust, password=PASSWORD, prefix="idle")
    async with clocked.client(DESK) as desk:
        ways = await ways_in(desk, user, PASSWORD)
        for _ in range(2):  # busy: 28 minutes signed in, never 15 quiet
            clocked.clock.advance(minutes=14)
            assert (await desk.get("/api/me", headers=ways.bearer())).status_code == 200
            assert (await desk.get("/", headers=with_cookie(ways.cookie))).status_code == 200
        clocked.clock.advance(minutes=15, seconds=1)
        idle = assert_error(await desk.get("/api/me", headers=ways.bearer()), 401, "session_ended")
        assert idle["details"] == {"reason": "idle"}
        assert "signed out after 15 minutes without activity" in idle["message"]
        page = await desk.get("/batches/ANY", headers=with_cookie(ways.cookie))
        assert page.status_code == 303
        assert page.headers["location"] == "/login?next=/batches/ANY&why=idle"
        login = await desk.get(page.headers["location"])
        assert "signed out after 15 minutes without activity" in login.text
        assert await all_refused(desk, ways) == ENDED
    with session_scope(clocked.engine) as session:
        trail = list_audit(session=session, entity_id=user, limit=1000)
    idle_ends = [e for e in trail if e.action == "sessions_ended"]
    assert [(e.actor, e.reason) for e in idle_ends] == [("system", "idle"), ("system", "idle")]


async def test_a_busy_session_writes_its_last_seen_time_at_most_once_a_minute(
    clocked: Clocked,
) -> None:
    user = new_user(clocked.engine, clocked.trust, password=PASSWORD, prefix="busy")
    async with clocked.client(DESK) as desk:
        token = await api_token(desk, user, PASSWORD)
        sid = jwt.decode(token, options={"verify_signature": False})["sid"]
        headers = {"Authorization": f"Bearer {token}"}
        opened = _session(clocked, sid).last_seen_at
        for _ in range(5):
            clocked.clock.advance(seconds=10)
            assert (await desk.get("/api/me", headers=headers)).status_code == 200
        assert _session(clocked, sid).last_seen_at == opened, "50 seconds: no write"
        clocked.clock.advance(seconds=10)
        assert (await desk.get("/api/me", headers=headers)).status_code == 200
        moved = _session(clocked, sid).last_seen_at
        assert moved > opened
        assert (await desk.get("/api/me", headers=headers)).status_code == 200
        assert _session(clocked, sid).last_seen_at == moved


def _session(clocked: Clocked, session_id: str) -> SessionRow:
    with session_scope(clocked.engine) as session:
        row = get_session(session=session, session_id=session_id)
    assert row is not None
    return row
