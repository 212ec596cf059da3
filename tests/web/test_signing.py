"""Electronic signatures on the pages: refused signatures record nothing and never echo the
password; a correction shows both values with its reason."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.web.pages import (
    fill_signature,
    http_sign_in,
    never_echoed,
    post,
    records_of,
    shot,
    sign_in,
    signature,
    step,
)
from tests.web.prepared import cleared, started
from tests.web.site import Site

pytestmark = pytest.mark.e2e

WRONG = "Not-Olgas-Password-4471"
CLEARANCE = f"{step('line-clearance')} .complete-form"


async def test_a_wrong_signing_password_is_refused_in_words_and_records_nothing(
    browser: Browser, site: Site, screenshots: Path
) -> None:
    number = await started(site)
    olga = await sign_in(browser, site, "olga")
    await olga.goto(f"/batches/{number}")
    form = olga.locator(CLEARANCE)
    await form.get_by_label("Yes").check()
    await form.locator("textarea[name=comment]").fill("Room checked.")
    await fill_signature(form, "olga", WRONG)
    answer = await post(olga, f"{CLEARANCE} button[type=submit]")
    assert answer.status == 401
    await expect(olga.locator(step("line-clearance")).locator(".alert.error")).to_contain_text(
        "The password is not correct; the signature was not applied"
    )
    await expect(form.get_by_label("Yes")).to_be_checked()
    await expect(form.locator("textarea[name=comment]")).to_have_value("Room checked.")
    await expect(form.get_by_label("User id")).to_have_value("olga")
    await expect(form.get_by_label("Password")).to_have_value("")
    await never_echoed(olga, answer, WRONG)
    assert records_of(site, number) == 0
    await shot(olga, screenshots, "batch-wrong-password")

    # Someone else's user id is refused before any password is tried.
    await fill_signature(form, "omar")
    answer = await post(olga, f"{CLEARANCE} button[type=submit]")
    assert answer.status == 401
    await expect(olga.locator("#refusal")).to_contain_text("is not the one signed in here (olga)")
    await never_echoed(olga, answer, "ebr-demo-haddad")
    assert records_of(site, number) == 0

    await fill_signature(form, "olga")  # the right one: recorded, and the failure count restarts
    assert (await post(olga, f"{CLEARANCE} button[type=submit]")).status == 303
    assert records_of(site, number) == 1
    await olga.context.close()


async def test_a_form_without_the_signature_records_nothing(site: Site) -> None:
    number = await started(site)
    action = f"/batches/{number}/steps/line-clearance/complete"
    async with httpx.AsyncClient(base_url=site.base_url, timeout=60) as olga:
        csrf = await http_sign_in(olga, "olga")
        base = {"csrf_token": csrf, "v-area-clear": "yes"}
        for fields in ({}, {"sign_user_id": "olga"}, {"sign_password": "ebr-demo-okafor"}):
            answer = await olga.post(action, data={**base, **fields})
            assert answer.status_code == 422 and "nothing was signed" in answer.text
            assert "ebr-demo-okafor" not in answer.text
        wrong = await olga.post(action, data={**base, **signature("olga", WRONG)})
        assert wrong.status_code == 401 and WRONG not in wrong.text
        assert 'autocomplete="current-password"' in wrong.text
        assert records_of(site, number) == 0
        assert (await olga.post(action, data={**base, **signature("olga")})).status_code == 303


async def test_a_correction_with_its_reason_shows_both_values(
    browser: Browser, site: Site, screenshots: Path
) -> None:
    number = await started(site)
    await cleared(site, number)
    olga = await sign_in(browser, site, "olga")
    await olga.goto(f"/batches/{number}")
    weigh = olga.locator(f"{step('weigh-powder')} .complete-form")
    await weigh.get_by_label("Powder lot number").fill("PL-2291")
    await weigh.get_by_label("Net mass of powder").fill("10.04")
    await fill_signature(weigh, "olga")
    assert (await post(olga, f"{step('weigh-powder')} .complete-form button")).status == 303

    fix = olga.locator(f"{step('weigh-powder')} .correct-form")
    await olga.locator(f"{step('weigh-powder')} details.correction summary").click()
    await expect(fix.get_by_label("Powder lot number")).to_have_value("PL-2291")
    await expect(fix.get_by_label("Net mass of powder")).to_have_value("10.04")
    await expect(fix.locator(".signing-as")).to_contain_text("meaning: corrected")
    await fix.get_by_label("Net mass of powder").fill("10.02")
    await fill_signature(fix, "olga")
    fix_button = f"{step('weigh-powder')} .correct-form button"
    await fix.locator("textarea[name=reason]").fill(" ")  # only spaces: no reason
    assert (await post(olga, fix_button)).status == 422
    # Refused by StepCorrection's bounds, worded as every form words a required field.
    await expect(olga.locator("#refusal")).to_contain_text("The reason is required")
    await expect(fix.get_by_label("Net mass of powder")).to_have_value("10.02")
    await fix.scroll_into_view_if_needed()
    await olga.screenshot(path=str(screenshots / "batch-correction-refused.png"))
    assert records_of(site, number) == 3  # clearance performed and verified, weighing performed

    reason = "Transcription error: the scale showed 10.02 kg"
    await fix.locator("textarea[name=reason]").fill(reason)
    await fix.get_by_label("Password").fill("ebr-demo-okafor")
    assert (await post(olga, fix_button)).status == 303
    weighed = olga.locator(step("weigh-powder"))
    original = weighed.locator(".record.superseded")
    await expect(original.locator("del")).to_contain_text(["PL-2291", "10.04 kg"])
    await expect(original.locator(".corrected-by")).to_contain_text(
        "Corrected by Olga Okafor (olga)"
    )
    await expect(original.locator(".corrected-by")).to_contain_text(reason)
    correction = weighed.locator(".record.meaning-corrected")
    await expect(correction).to_contain_text("Corrected by Olga Okafor (olga)")
    await expect(correction.locator("td.value").nth(1)).to_have_text("10.02 kg")
    await expect(correction.locator(".reason")).to_contain_text(reason)
    await expect(correction.locator(".signed")).to_contain_text("Signed record #")
    assert records_of(site, number) == 4
    await olga.locator(step("weigh-powder")).scroll_into_view_if_needed()
    await shot(olga, screenshots, "batch-correction")
    await olga.context.close()
