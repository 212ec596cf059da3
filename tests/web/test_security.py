"""Attacks on the pages: forged forms, no session, the wrong role, HTML in what people type."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from api.tokens import issue
from tests.web.pages import (
    HIDDEN_TOKEN,
    batch_number,
    fill_signature,
    forge_post,
    http_sign_in,
    post,
    records_of,
    shot,
    sign_in,
    signature,
    status_of,
    step,
)
from tests.web.site import Site

pytestmark = pytest.mark.e2e

XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def client(site: Site) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=site.base_url, follow_redirects=False, timeout=60)


async def start(http: httpx.AsyncClient, csrf: str, number: str) -> httpx.Response:
    form = {"csrf_token": csrf, "recipe": "DEMO-SHORT/1", "batch_number": number}
    return await http.post("/batches", data={**form, "planned_value": "10", "planned_unit": "kg"})


async def test_pages_without_a_session_redirect_to_login(site: Site) -> None:
    forged = issue(
        secret="another-site-secret-" + "x" * 32, user_id="adam", session_id="s", minutes=5
    )
    for cookies in ({}, {"ebr_session": forged}, {"ebr_session": "not-a-jwt"}):
        async with client(site) as http:
            http.cookies.update(cookies)
            for path in ("/", "/recipes", "/recipes/DEMO-SHORT/1", "/batches/ANY", "/?status=x"):
                answer = await http.get(path)
                assert answer.status_code == 303, path
                assert answer.headers["location"].startswith("/login?next=/")
            number = batch_number()
            answer = await start(http, "whatever", number)
            assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
            assert status_of(site, number) is None


async def test_a_bad_password_shows_an_error(
    browser: Browser, site: Site, screenshots: Path
) -> None:
    context = await browser.new_context(base_url=site.base_url)
    page = await context.new_page()
    await page.goto("/login")
    await page.fill("#user_id", "olga")
    await page.fill("#password", "ebr-demo-haddad")
    assert (await post(page, "form[action='/login'] button")).status == 401
    await expect(page.locator(".alert.error")).to_contain_text("password is not correct")
    await expect(page.locator("#user_id")).to_have_value("olga")
    assert not [c for c in await context.cookies() if c["name"] == "ebr_session"]
    await shot(page, screenshots, "login-error")
    await context.close()


async def test_the_login_form_needs_its_own_token_and_redirects_only_here(site: Site) -> None:
    async with client(site) as http:
        answer = await http.post(
            "/login", data={"user_id": "sam", "password": "ebr-demo-lindqvist"}
        )
        assert answer.status_code == 403 and "ebr_session" not in answer.cookies
        login = await http.get("/login?next=//evil.example/x")
        token = HIDDEN_TOKEN.search(login.text)
        assert token and 'value="/"' in login.text
        fields = {"csrf_token": token[1], "user_id": "sam", "password": "ebr-demo-lindqvist"}
        answer = await http.post("/login", data={**fields, "next": "https://evil.example"})
        assert answer.status_code == 303 and answer.headers["location"] == "/"


async def test_the_session_cookie_is_httponly_strict_and_secure_over_https(site: Site) -> None:
    for scheme in ("http", "https"):
        async with client(site) as http:
            login = await http.get("/login")
            token = HIDDEN_TOKEN.search(login.text)
            assert token
            answer = await http.post(
                "/login",
                data={"csrf_token": token[1], "user_id": "olga", "password": "ebr-demo-okafor"},
                headers={"x-forwarded-proto": scheme},
            )
            cookie = next(
                c for c in answer.headers.get_list("set-cookie") if c.startswith("ebr_session=")
            )
            flags = {part.strip().lower() for part in cookie.split(";")[1:]}
            assert {"httponly", "samesite=strict", "path=/"} <= flags
            assert ("secure" in flags) is (scheme == "https")


async def test_forms_without_the_sessions_csrf_token_are_refused_and_record_nothing(
    site: Site,
) -> None:
    number = batch_number()
    async with client(site) as sam, client(site) as olga:
        sam_csrf = await http_sign_in(sam, "sam")
        for token in ("", "0" * 64):
            answer = await start(sam, token, number)
            assert answer.status_code == 403 and "nothing was recorded" in answer.text
            assert status_of(site, number) is None
        assert (await start(sam, sam_csrf, number)).status_code == 303
        olga_csrf = await http_sign_in(olga, "olga")
        action = f"/batches/{number}/steps/line-clearance"
        tokens: list[str | None] = [None, "", "wrong", sam_csrf, olga_csrf.upper()]
        for wrong in tokens:
            form = {"v-area-clear": "yes", **signature("olga")}
            form |= {"csrf_token": wrong} if wrong is not None else {}
            assert (await olga.post(f"{action}/complete", data=form)).status_code == 403
        assert records_of(site, number) == 0
        done = {"csrf_token": olga_csrf, "v-area-clear": "yes", **signature("olga")}
        assert (await olga.post(f"{action}/complete", data=done)).status_code == 303
        unguarded = {"comment": "ok", **signature("sam")}
        assert (await sam.post(f"{action}/verify", data=unguarded)).status_code == 403
        assert records_of(site, number) == 1
        assert (await olga.post("/logout", data={})).status_code == 403
        assert (await olga.get("/")).status_code == 200  # still signed in
        logout = await olga.post("/logout", data={"csrf_token": olga_csrf})
        assert logout.status_code == 303 and (await olga.get("/")).status_code == 303


async def test_an_operator_cannot_start_a_batch(
    browser: Browser, site: Site, screenshots: Path
) -> None:
    olga = await sign_in(browser, site, "olga")
    await expect(olga.locator("#start")).to_have_count(0)
    number = batch_number()
    fields = {"recipe": "DEMO-SHORT/1", "batch_number": number, "planned_value": "10"}
    answer = await forge_post(olga, "/batches", {**fields, "planned_unit": "kg"})
    assert answer.status == 403
    await expect(olga.locator(".alert.error")).to_contain_text(
        "needs one of the roles: supervisor, admin"
    )
    assert status_of(site, number) is None
    await shot(olga, screenshots, "operator-start-refused")
    await olga.context.close()


async def test_html_typed_by_people_is_shown_as_text(browser: Browser, site: Site) -> None:
    number = batch_number()
    async with client(site) as sam, client(site) as olga_http:
        assert (await start(sam, await http_sign_in(sam, "sam"), number)).status_code == 303
        csrf = await http_sign_in(olga_http, "olga")
        action = f"/batches/{number}/steps/line-clearance"
        form = {"csrf_token": csrf, "v-area-clear": "yes", "comment": XSS, **signature("olga")}
        assert (await olga_http.post(f"{action}/complete", data=form)).status_code == 303
        sam_csrf = HIDDEN_TOKEN.search((await sam.get("/")).text)
        assert sam_csrf
        verifying = {"csrf_token": sam_csrf[1], **signature("sam")}
        verified = await sam.post(f"{action}/verify", data=verifying)
        assert verified.status_code == 303
    olga = await sign_in(browser, site, "olga")
    dialogs: list[str] = []
    olga.on("dialog", lambda dialog: dialogs.append(dialog.message))
    weigh = olga.locator(f"{step('weigh-powder')} .complete-form")
    await olga.goto(f"/batches/{number}")
    await fill_signature(weigh, "olga")
    await weigh.get_by_label("Powder lot number").fill(XSS)
    await weigh.get_by_label("Net mass of powder").fill('"><script>alert(2)</script>')
    assert (await post(olga, f"{step('weigh-powder')} button[type=submit]")).status == 422
    await expect(weigh.get_by_label("Powder lot number")).to_have_value(XSS)
    await expect(weigh.get_by_label("Net mass of powder")).to_have_value(
        '"><script>alert(2)</script>'
    )
    await weigh.get_by_label("Net mass of powder").fill("10.00")
    await weigh.get_by_label("Password").fill("ebr-demo-okafor")
    assert (await post(olga, f"{step('weigh-powder')} button[type=submit]")).status == 303
    shown = await olga.goto(f"/batches/{number}")
    assert shown is not None
    html = await shown.text()
    # The comment, the recorded lot number, and the lot number pre-filled in the correction form.
    assert XSS not in html and html.count(ESCAPED) == 3
    await expect(olga.locator("script")).to_have_count(0)
    await expect(olga.locator(step("line-clearance"))).to_contain_text(f"Comment: {XSS}")
    await expect(olga.locator(step("weigh-powder"))).to_contain_text(XSS)
    assert dialogs == []
    await olga.context.close()


async def test_an_unknown_batch_is_a_page_saying_so(site: Site) -> None:
    async with client(site) as http:
        await http_sign_in(http, "aude")
        answer = await http.get("/batches/NO-SUCH-BATCH")
        assert answer.status_code == 404 and "there is no batch NO-SUCH-BATCH" in answer.text
