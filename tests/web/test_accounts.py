"""Account controls on the pages: lockout after failed signatures, and the password an
administrator set, which must be changed before anything else (and opens no signing key)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from ebr.domain.roles import Role
from tests.web.pages import (
    HIDDEN_TOKEN,
    fill_signature,
    http_sign_in,
    is_locked,
    never_echoed,
    new_person,
    post,
    records_of,
    shot,
    sign_in,
    step,
)
from tests.web.prepared import started
from tests.web.site import Site

pytestmark = pytest.mark.e2e

CLEARANCE = f"{step('line-clearance')} .complete-form"


async def test_five_wrong_passwords_lock_the_account(
    browser: Browser, site: Site, screenshots: Path
) -> None:
    password = "Lockout-Test-2291"
    person = new_person(site, roles=(Role.OPERATOR,), password=password)
    number = await started(site)
    page = await sign_in(browser, site, person, password)
    await page.goto(f"/batches/{number}")
    form = page.locator(CLEARANCE)
    for attempt in range(1, 6):
        await form.get_by_label("Yes").check()
        await fill_signature(form, person, f"wrong-{attempt}-{password}")
        answer = await post(page, f"{CLEARANCE} button[type=submit]")
        await never_echoed(page, answer, f"wrong-{attempt}-{password}", password)
        if attempt < 5:
            assert answer.status == 401
            await expect(page.locator("#refusal")).to_contain_text("password is not correct")
    assert answer.status == 423
    await expect(page.locator("#refusal")).to_contain_text("The account is locked")
    await shot(page, screenshots, "batch-locked")
    assert is_locked(site, person) and records_of(site, number) == 0

    await page.goto(f"/batches/{number}")  # a locked account's session is over
    await expect(page).to_have_url(re.compile(r"/login\?next="))
    await page.fill("#user_id", person)
    await page.fill("#password", password)  # even the right password
    assert (await post(page, "form[action='/login'] button")).status == 423
    await expect(page.locator(".alert.error")).to_contain_text("This account is locked")
    await shot(page, screenshots, "login-locked")
    await page.context.close()


async def test_a_password_an_admin_set_must_be_changed_first(
    browser: Browser, site: Site, screenshots: Path
) -> None:
    given, chosen = "Admin-Set-7781", "My-Own-Pass-5520"
    person = new_person(site, roles=(Role.OPERATOR,), password=given, admin_set=True)
    number = await started(site)
    page = await sign_in(browser, site, person, given, landing=r"/password\?next=/$")
    await expect(page.locator(".alert.warn")).to_contain_text("set by an administrator")
    await page.goto(f"/batches/{number}")
    await expect(page).to_have_url(re.compile(rf"/password\?next=/batches/{number}$"))

    async def change(old: str, new: str, repeat: str) -> int:
        await page.fill("#old_password", old)
        await page.fill("#new_password", new)
        await page.fill("#repeat_password", repeat)
        answer = await post(page, "form[action='/password'] button")
        await never_echoed(page, answer, old, new, repeat)
        return answer.status

    assert await change(given, chosen, chosen + "x") == 422
    await expect(page.locator("#password-error")).to_contain_text("not the same")
    assert await change(given, f"{person}-Pass-1", f"{person}-Pass-1") == 422
    await expect(page.locator("#password-error")).to_contain_text("not containing the user id")
    assert await change("Wrong-Current-1", chosen, chosen) == 401
    await expect(page.locator("#password-error")).to_contain_text("current password is not")
    await shot(page, screenshots, "password-change")
    assert await change(given, chosen, chosen) == 303
    await expect(page.locator("h1")).to_have_text("Password changed")
    await shot(page, screenshots, "password-changed")
    async with page.expect_navigation(url=re.compile(rf"/batches/{number}$")):
        await page.click("text=Continue")

    form = page.locator(CLEARANCE)  # the new password opens the new signing key
    await form.get_by_label("Yes").check()
    await fill_signature(form, person, given)
    assert (await post(page, f"{CLEARANCE} button[type=submit]")).status == 401
    await fill_signature(form, person, chosen)
    assert (await post(page, f"{CLEARANCE} button[type=submit]")).status == 303
    await expect(page.locator(step("line-clearance"))).to_contain_text(f"({person})")
    await page.context.close()


async def test_the_password_page_needs_a_session_and_its_token(site: Site) -> None:
    async with httpx.AsyncClient(base_url=site.base_url, timeout=60) as http:
        assert (await http.get("/password")).status_code == 303
        csrf = await http_sign_in(http, "omar")
        page = await http.get("/password")
        assert page.status_code == 200 and HIDDEN_TOKEN.search(page.text)
        form = {"old_password": "ebr-demo-haddad", "new_password": "x", "repeat_password": "x"}
        assert (await http.post("/password", data=form)).status_code == 403
        assert (await http.post("/password", data={**form, "csrf_token": csrf})).status_code == 422
