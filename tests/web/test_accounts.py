"""Account controls on the pages: lockout after failed signatures, the password an
administrator set, which must be changed before anything else (and opens no signing key), and
the accounts page: an administrator creates and changes accounts, QA confirms a person's
identity, each signed; an unconfirmed person's signature is refused in words."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Locator, expect

from ebr.domain.roles import Role
from tests.web.pages import (
    HIDDEN_TOKEN,
    batch_number,
    fill_signature,
    http_sign_in,
    is_locked,
    never_echoed,
    new_person,
    password_of,
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


async def test_an_admin_creates_an_account_and_qa_confirms_the_person_on_the_accounts_page(
    browser: Browser, site: Site, screenshots: Path
) -> None:
    user_id = f"acc-{batch_number().lower()[4:]}"
    adam = await sign_in(browser, site, "adam")
    await adam.goto("/accounts")
    form = adam.locator("#create-form")
    await form.locator("#new-id").fill(user_id)
    await form.locator("#new-name").fill("Ana Account")
    await form.locator("input[name=roles][value=admin]").check()
    await form.locator("input[name=roles][value=qa]").check()
    await form.locator("#new-password").fill("Initial-pass-77")
    await form.locator("#new-reason").fill("new QA hire, HR 12")
    await sign_block(form, "new-sign", "adam")
    answer = await post(adam, "#create-form button[type=submit]")
    assert answer.status == 422
    await expect(adam.locator("#create")).to_contain_text("An administrator holds no GMP role")
    await shot(adam, screenshots, "accounts-admin-with-qa-refused")
    form = adam.locator("#create-form")
    await form.locator("#new-id").fill(user_id)
    await form.locator("#new-name").fill("Ana Account")
    await form.locator("input[name=roles][value=qa]").check()
    await form.locator("#new-password").fill("Initial-pass-77")
    await form.locator("#new-reason").fill("new QA hire, HR 12")
    await sign_block(form, "new-sign", "adam")
    assert (await post(adam, "#create-form button[type=submit]")).status == 303
    await expect(adam.locator("#done")).to_have_text("Account created: signed.")
    await expect(adam.locator(f"#account-{user_id} .identity")).to_contain_text(
        "awaiting confirmation"
    )
    await expect(adam.locator(f"#identity-{user_id}")).to_have_count(0)  # QA's, not adam's
    await adam.context.close()

    quinn = await sign_in(browser, site, "quinn")
    await quinn.goto("/accounts")
    confirm = quinn.locator(f"#identity-{user_id}")
    await confirm.get_by_label("How was the identity checked?").fill("passport seen in person")
    await fill_signature(confirm, "quinn", "not-quinns-password-1")
    assert (await post(quinn, f"#identity-{user_id} button[type=submit]")).status == 401
    await expect(quinn.locator(f"#identity-{user_id} .alert")).to_contain_text("Not signed.")
    confirm = quinn.locator(f"#identity-{user_id}")
    await confirm.get_by_label("How was the identity checked?").fill("passport seen in person")
    await fill_signature(confirm, "quinn")
    assert (await post(quinn, f"#identity-{user_id} button[type=submit]")).status == 303
    await expect(quinn.locator("#done")).to_have_text("Identity confirmed: signed (verified).")
    await expect(quinn.locator(f"#account-{user_id} .identity")).to_have_text("confirmed by quinn")
    await shot(quinn, screenshots, "accounts-identity-confirmed")
    await quinn.context.close()

    olga = await sign_in(browser, site, "olga")
    answer = await olga.goto("/accounts")
    assert answer is not None and answer.status == 403
    await olga.context.close()


async def sign_block(form: Locator, prefix: str, user_id: str) -> None:
    """The signing block of a form that has a user id and a password of its own too."""
    await form.locator(f"#{prefix}-user").fill(user_id)
    await form.locator(f"#{prefix}-password").fill(password_of(user_id))


async def test_an_unconfirmed_person_cannot_sign_a_step_on_the_pages(
    browser: Browser, site: Site, screenshots: Path
) -> None:
    password = "Unconfirmed-pass-3"
    person = new_person(site, roles=(Role.OPERATOR,), password=password, confirmed=False)
    number = await started(site)
    page = await sign_in(browser, site, person, password)
    await page.goto(f"/batches/{number}")
    form = page.locator(CLEARANCE)
    await form.get_by_label("Yes").check()
    await fill_signature(form, person, password)
    answer = await post(page, f"{CLEARANCE} button[type=submit]")
    assert answer.status == 403
    await expect(page.locator("#refusal")).to_contain_text(
        "Your identity has not been confirmed yet: QA or a supervisor must confirm it"
    )
    await shot(page, screenshots, "batch-identity-not-confirmed")
    assert records_of(site, number) == 0
    await page.context.close()
