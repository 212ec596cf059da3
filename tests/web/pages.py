"""Driving the pages as people do: sign in, start a batch, fill and sign a step's form, read the
store; and people of our own for the tests that lock or reset an account."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
from playwright.async_api import Browser, Locator, Page, Response, ViewportSize

from ebr.domain.roles import Role
from ebr.seed import demo_password
from ebr.store.batches import get_batch
from ebr.store.db import session_scope
from ebr.store.signed_records import list_batch_records
from ebr.store.users import get_user
from tests.people import new_user
from tests.web.site import Site

TABLET: ViewportSize = {"width": 1180, "height": 820}
HIDDEN_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def batch_number() -> str:
    return f"WEB-{uuid.uuid4().hex[:8].upper()}"


def password_of(user_id: str) -> str:
    """The published demo password (ebr.seed); people made by ``new_person`` have their own."""
    return demo_password(user_id)


def new_person(
    site: Site,
    *,
    roles: tuple[Role, ...],
    password: str,
    admin_set: bool = False,
    confirmed: bool = True,
) -> str:
    """A user of this test alone: with a signing key under ``password``, or (``admin_set``) with
    a password an administrator set, no key, and a change required at the next sign-in; their
    identity confirmed by QA unless not ``confirmed``."""
    return new_user(
        site.engine,
        site.trust,
        password=password,
        roles=roles,
        with_key=not admin_set,
        must_change=admin_set,
        prefix="person",
        confirmed=confirmed,
    )


def is_locked(site: Site, user_id: str) -> bool:
    with session_scope(site.engine) as session:
        user = get_user(session=session, user_id=user_id)
        return user is not None and user.locked_at is not None


async def sign_in(
    browser: Browser, site: Site, user_id: str, password: str | None = None, landing: str = r"/$"
) -> Page:
    """A new browser context (its own cookies) signed in as ``user_id`` (demo password unless
    given), landing on a page whose address matches ``landing``."""
    context = await browser.new_context(base_url=site.base_url, viewport=TABLET)
    page = await context.new_page()
    await page.goto("/login")
    await page.fill("#user_id", user_id)
    await page.fill("#password", password or password_of(user_id))
    async with page.expect_navigation(url=re.compile(rf".*{landing}")):
        await page.click("form[action='/login'] button")
    return page


async def fill_signature(form: Locator, user_id: str, password: str | None = None) -> None:
    """Type the two signature components into a form's signing block."""
    await form.get_by_label("User id").fill(user_id)
    await form.get_by_label("Password").fill(password or password_of(user_id))


def signature(user_id: str, password: str | None = None) -> dict[str, str]:
    """The signing block's fields, for forms posted without a browser."""
    return {"sign_user_id": user_id, "sign_password": password or password_of(user_id)}


async def start_batch(page: Page, number: str, quantity: str = "10", unit: str = "kg") -> None:
    """Fill the start form on the batch list (DEMO-SHORT v1) and land on the batch's page."""
    await page.goto("/")
    await page.select_option("#recipe", "DEMO-SHORT/1")
    await page.fill("#batch_number", number)
    await page.fill("#planned_value", quantity)
    await page.select_option("select[name=planned_unit]", unit)
    async with page.expect_navigation(url=re.compile(rf".*/batches/{number}$")):
        await page.click("#start button[type=submit]")


async def post(page: Page, selector: str) -> Response:
    """Click a submit button and return the answer to the POST it sends (before any redirect)."""
    async with page.expect_response(lambda r: r.request.method == "POST") as answer:
        await page.click(selector)
    response = await answer.value
    await page.wait_for_load_state()
    return response


async def forge_post(page: Page, action: str, fields: dict[str, str]) -> Response:
    """Submit a form the page does not offer (as a stale or tampered page would), with its token."""
    token = await page.get_attribute("form[action='/logout'] input[name=csrf_token]", "value")
    values = {"csrf_token": token or "", **fields}
    async with page.expect_response(lambda r: r.request.method == "POST") as answer:
        await page.evaluate(
            """([action, values]) => {
                const form = document.createElement("form");
                form.method = "post";
                form.action = action;
                for (const [name, value] of Object.entries(values)) {
                    const input = document.createElement("input");
                    input.type = "hidden";
                    input.name = name;
                    input.value = value;
                    form.appendChild(input);
                }
                document.body.appendChild(form);
                form.submit();
            }""",
            [action, values],
        )
    response = await answer.value
    await page.wait_for_load_state()
    return response


def step(step_id: str) -> str:
    return f"#step-{step_id}"


async def shot(page: Page, folder: Path, name: str) -> None:
    await page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def records_of(site: Site, batch_id: str) -> int:
    with session_scope(site.engine) as session:
        return len(list_batch_records(session=session, batch_id=batch_id))


def status_of(site: Site, batch_id: str) -> str | None:
    with session_scope(site.engine) as session:
        row = get_batch(session=session, batch_id=batch_id)
        return row.status if row else None


async def http_sign_in(client: httpx.AsyncClient, user_id: str) -> str:
    """Sign ``client`` in through the login form; return the session's CSRF token."""
    login = await client.get("/login")
    token = HIDDEN_TOKEN.search(login.text)
    assert token
    answer = await client.post(
        "/login",
        data={"csrf_token": token[1], "user_id": user_id, "password": password_of(user_id)},
    )
    assert answer.status_code == 303, answer.text
    home = await client.get("/")
    csrf = HIDDEN_TOKEN.search(home.text)
    assert home.status_code == 200 and csrf
    return csrf[1]


async def never_echoed(page: Page, answer: Response, *secrets: str) -> None:
    """No secret in the answer to a form (a redirect has no body) nor in the page it led to."""
    body = "" if 300 <= answer.status < 400 else await answer.text()
    shown = await page.content()
    for secret in secrets:
        assert secret not in body and secret not in shown
