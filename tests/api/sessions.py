"""One person's ways in, for the tests that end them: an API bearer token, and a page session
cookie (which an attacker may also replay as a bearer token)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx

HIDDEN_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class WaysIn:
    """A bearer token and a page cookie of the same person, each from its own sign-in."""

    token: str
    cookie: str
    csrf: str

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def cookie_as_bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.cookie}"}


async def api_token(http: httpx.AsyncClient, user_id: str, password: str) -> str:
    answer = await http.post("/api/auth/token", data={"username": user_id, "password": password})
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


async def page_cookie(http: httpx.AsyncClient, user_id: str, password: str) -> tuple[str, str]:
    """Sign in through the login form; the session cookie and the CSRF token of its pages. The
    client's cookie jar is emptied after, so its other requests carry no cookie of ours."""
    try:
        login = await http.get("/login")
        token = HIDDEN_TOKEN.search(login.text)
        assert token, login.text
        answer = await http.post(
            "/login", data={"csrf_token": token[1], "user_id": user_id, "password": password}
        )
        assert answer.status_code == 303, answer.text
        cookie = answer.cookies["ebr_session"]
    finally:
        http.cookies.clear()
    home = await http.get("/", headers=with_cookie(cookie))
    csrf = HIDDEN_TOKEN.search(home.text)
    assert home.status_code == 200 and csrf, home.text
    return cookie, csrf[1]


def with_cookie(cookie: str) -> dict[str, str]:
    return {"Cookie": f"ebr_session={cookie}"}


async def ways_in(http: httpx.AsyncClient, user_id: str, password: str) -> WaysIn:
    token = await api_token(http, user_id, password)
    cookie, csrf = await page_cookie(http, user_id, password)
    return WaysIn(token=token, cookie=cookie, csrf=csrf)


async def page_status(http: httpx.AsyncClient, cookie: str, path: str = "/") -> int:
    """The status of a page fetched with ``cookie`` alone (a redirect is not followed)."""
    answer = await http.get(path, headers=with_cookie(cookie))
    if answer.status_code == 303:
        assert answer.headers["location"].startswith("/login?next="), answer.headers
    return answer.status_code


async def all_refused(http: httpx.AsyncClient, ways: WaysIn) -> list[tuple[str, int, str]]:
    """Each way in tried once: (way, status, error code or redirect)."""
    answers = []
    for name, headers in (("bearer", ways.bearer()), ("cookie as bearer", ways.cookie_as_bearer())):
        answer = await http.get("/api/me", headers=headers)
        answers.append((name, answer.status_code, answer.json().get("error", "")))
    page = await page_status(http, ways.cookie)
    answers.append(("cookie", page, "to login" if page == 303 else "page"))
    return answers


ENDED = [
    ("bearer", 401, "session_ended"),
    ("cookie as bearer", 401, "session_ended"),
    ("cookie", 303, "to login"),
]
