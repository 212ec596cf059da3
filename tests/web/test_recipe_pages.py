"""The recipe pages under change control: an author, a reviewer and QA take a new version from
draft to effective through the pages alone; the wrong person's attempt is refused in words (and
offered no form); a version returned to draft shows its comments to its author; a draft whose
dry run finds problems is not submitted."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from ebr.domain.roles import Role
from tests.web.pages import fill_signature, forge_post, new_person, post, shot, sign_in, signature
from tests.web.recipes import (
    blend,
    effective,
    line_of,
    new_code,
    sample_step,
    submitted,
    too_slow_step,
    version_row,
    versions_of,
)
from tests.web.site import Site

pytestmark = pytest.mark.e2e

CHANGED_MIX = "Mix for 12 minutes at low speed."


def said(words: str) -> re.Pattern[str]:
    """A refusal's words as a page shows them (its first letter capital)."""
    return re.compile(re.escape(words), re.IGNORECASE)


async def saved(page: Page, source: str, button: str = "#save") -> int:
    """Type ``source`` into the editor and press ``button``; the answer's status."""
    await page.fill("#source", source)
    return (await post(page, button)).status


async def test_a_new_version_goes_from_draft_to_effective_through_the_pages(
    browser: Browser, site: Site, screenshots: Path
) -> None:
    code = new_code()
    await effective(site, blend(code))  # v1, effective: the version the new one replaces

    # The author starts v2 from v1, writes a step with a role no one has, and is told where.
    ada = await sign_in(browser, site, "ada")
    await ada.goto(f"/recipes/{code}/1")
    await expect(ada.locator("#state")).to_have_text("Effective")
    await ada.click("#new-version")
    await expect(ada.locator("#source")).to_have_value(re.compile(r"^version: 2$", re.MULTILINE))
    wrong = blend(code, 2, mix=CHANGED_MIX, extra=sample_step(role="chef"))
    assert await saved(ada, wrong) == 422
    problem = ada.locator("#problems .problem")
    await expect(problem).to_have_count(1)
    await expect(problem.locator(".line")).to_have_text(f"line {line_of(wrong, 'role: chef')}")
    await expect(problem.locator(".where")).to_contain_text("step 'sample'")
    await expect(problem.locator(".field-name")).to_have_text("role")
    await expect(problem).to_contain_text("role: chef")
    await expect(ada.locator("#source")).to_have_value(wrong)  # what was typed is kept
    await shot(ada, screenshots, "recipe-editor-problem")
    assert versions_of(site, code) == [1]  # nothing was saved

    # Fixed, dry-run (nothing kept), saved, and submitted with her signature.
    fixed = blend(code, 2, mix=CHANGED_MIX, extra=sample_step())
    assert await saved(ada, fixed, "#dry-run-button") == 200
    report = ada.locator("#dry-run")
    await expect(report.locator(".dry-run-summary")).to_contain_text("No problems found")
    await expect(report.locator(".dry-run-steps tbody tr")).to_have_count(3)
    await expect(report.locator(".variant")).to_contain_text("Mass charged: 20.2 kg")
    await expect(report.locator(".variant td").nth(4)).to_have_text("yes")  # it holds the batch
    await shot(ada, screenshots, "recipe-editor-dry-run")
    assert await saved(ada, fixed) == 303
    await expect(ada).to_have_url(re.compile(rf"/recipes/{code}/2/edit\?done=saved$"))
    await expect(ada.locator("#done")).to_have_text("Draft saved.")
    await expect(ada.locator("#state")).to_have_text("Draft")
    submit = ada.locator("#submit-form")
    await expect(submit.locator(".signing-as")).to_contain_text("meaning: authored")
    await fill_signature(submit, "ada")
    assert (await post(ada, "#submit-form button[type=submit]")).status == 303
    await expect(ada.locator("#done")).to_have_text("Submitted for review: signed (authored).")
    await expect(ada.locator("#state")).to_have_text("In review")
    await expect(ada.locator("#sign form")).to_have_count(0)  # nothing of hers to sign now
    await expect(ada.locator("#history .signature")).to_have_count(1)

    # The supervisor sees the review and return forms (not the approval), and reviews.
    sam = await sign_in(browser, site, "sam")
    await sam.goto(f"/recipes/{code}/2")
    await expect(sam.locator("#sign form")).to_have_count(2)
    await expect(sam.locator("#approve-form")).to_have_count(0)
    await expect(sam.locator("#dry-run .dry-run-summary")).to_contain_text("No problems found")
    review = sam.locator("#review-form")
    await review.get_by_label("Comment").fill("Sample step checked against SOP-114.")
    await fill_signature(review, "sam")
    assert (await post(sam, "#review-form button[type=submit]")).status == 303
    await expect(sam.locator("#done")).to_have_text("Review signed (reviewed).")
    history = sam.locator("#history .signature")
    await expect(history).to_have_count(2)
    await expect(history.nth(1)).to_contain_text("Reviewed")
    await expect(history.nth(1)).to_contain_text("Sam Lindqvist (sam)")
    await expect(history.nth(1)).to_contain_text("Sample step checked against SOP-114.")

    # QA reads what changed from the effective version, and approves.
    quinn = await sign_in(browser, site, "quinn")
    await quinn.goto(f"/recipes/{code}/2")
    changes = quinn.locator("#changes")
    await expect(changes.locator(".diff-summary")).to_contain_text("steps 1 added, 1 changed")
    await expect(changes.locator("#diff-sample")).to_contain_text("Added")
    mix = changes.locator("#diff-mix [data-field=instructions]")
    await expect(mix.locator(".before")).to_have_text("Mix for 10 minutes.")
    await expect(mix.locator(".after")).to_have_text(CHANGED_MIX)
    await changes.scroll_into_view_if_needed()
    await shot(quinn, screenshots, "recipe-review-diff")
    approve = quinn.locator("#approve-form")
    await approve.get_by_label("Effective from").fill("2020-01-01T06:00")
    await fill_signature(approve, "quinn")
    assert (await post(quinn, "#approve-form button[type=submit]")).status == 409
    approve = quinn.locator("#approve-form")
    await expect(approve.locator(".field-error")).to_contain_text(said("not in the past"))
    await expect(quinn.locator("#state")).to_have_text("In review")
    await approve.get_by_label("Effective from").fill("")
    await fill_signature(approve, "quinn")
    assert (await post(quinn, "#approve-form button[type=submit]")).status == 303
    await expect(quinn.locator("#done")).to_have_text("Approved: signed (approved).")
    await expect(quinn.locator("#state")).to_have_text("Effective")
    history = quinn.locator("#history .signature")
    await expect(history).to_have_count(3)
    signed = [await history.nth(i).locator(".meaning").inner_text() for i in range(3)]
    assert [s.lower() for s in signed] == ["authored", "reviewed", "approved"]
    zone = await history.nth(2).locator("time").inner_text()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+", zone), zone  # local, zone named
    await shot(quinn, screenshots, "recipe-approved")

    # The library shows v2 effective and v1 superseded; the start form offers v2 alone.
    await quinn.goto("/recipes")
    await expect(version_row(quinn, code, 2).locator(".badge")).to_have_text("Effective")
    await expect(version_row(quinn, code, 1).locator(".badge")).to_have_text("Superseded")
    await expect(version_row(quinn, code, 1).locator(".superseded-at")).to_contain_text("20")
    await expect(version_row(quinn, code, 2)).to_contain_text("ada")
    await shot(quinn, screenshots, "recipe-library")
    await sam.goto("/")
    await expect(sam.locator(f"#recipe option[value='{code}/2']")).to_have_count(1)
    await expect(sam.locator(f"#recipe option[value='{code}/1']")).to_have_count(0)

    # Any two versions compare on the diff page; QA retires the superseded one, with a reason.
    await quinn.goto(f"/recipes/{code}/2")
    async with quinn.expect_navigation(url=re.compile(rf"/recipes/{code}/diff\?from=1&to=2$")):
        await quinn.locator("#changes .links a", has_text="v1").click()
    await expect(quinn.locator("h1")).to_have_text(f"{code}: changes from v1 to v2")
    await expect(quinn.locator("#diff-sample")).to_contain_text("Added")
    malformed = await quinn.goto(f"/recipes/{code}/diff?from=1&to=two")
    assert malformed is not None and malformed.status == 422
    await expect(quinn.locator(".alert")).to_contain_text(said("choose the versions to compare"))
    await quinn.goto(f"/recipes/{code}/1")
    await expect(quinn.locator("#sign form")).to_have_count(1)
    retire = quinn.locator("#retire-form")
    await retire.get_by_label("Reason").fill("Replaced by v2; kept for batches on record.")
    await fill_signature(retire, "quinn")
    assert (await post(quinn, "#retire-form button[type=submit]")).status == 303
    await expect(quinn.locator("#done")).to_have_text("Retired: signed (retired).")
    await expect(quinn.locator("#state")).to_have_text("Retired")
    await expect(quinn.locator("#history .meaning-retired")).to_contain_text("kept for batches")
    await expect(quinn.locator("#sign form")).to_have_count(0)
    for page in (ada, sam, quinn):
        await page.context.close()


async def test_the_wrong_person_is_offered_no_form_and_refused_in_words(
    browser: Browser, site: Site, screenshots: Path
) -> None:
    # An author who is also QA writes a version and submits it; a supervisor reviews it.
    password = "Author-And-QA-7731"
    tess = new_person(site, roles=(Role.AUTHOR, Role.QA), password=password)
    code = new_code()
    await submitted(site, blend(code), author=tess, password=password)
    path = f"/recipes/{code}/1"

    # Its author sees no approval form, and a forged one is refused: a third person approves.
    author = await sign_in(browser, site, tess, password)
    await author.goto(path)
    await expect(author.locator("#sign form")).to_have_count(0)
    await expect(author.locator("#next")).to_contain_text("a review by a supervisor or QA")
    forged = await forge_post(author, f"{path}/review", signature(tess, password))
    assert forged.status == 403
    await expect(author.locator("#refused")).to_contain_text(
        said(f"{tess} wrote recipe {code} v1 and may not review it")
    )
    sam = await sign_in(browser, site, "sam")
    await sam.goto(path)
    await fill_signature(sam.locator("#review-form"), "sam")
    assert (await post(sam, "#review-form button[type=submit]")).status == 303
    await author.goto(path)
    await expect(author.locator("#approve-form")).to_have_count(0)
    forged = await forge_post(author, f"{path}/approve", signature(tess, password))
    assert forged.status == 403
    await expect(author.locator("#refused")).to_contain_text(
        said(f"{tess} wrote recipe {code} v1 and may not approve it")
    )
    await shot(author, screenshots, "recipe-author-refused")

    # Nor may the reviewer approve, nor an author who is not QA.
    forged = await forge_post(sam, f"{path}/approve", signature("sam"))
    assert forged.status == 403
    await expect(sam.locator("#refused")).to_contain_text(said("only QA may approve a recipe"))
    ada = await sign_in(browser, site, "ada")
    await ada.goto(path)
    await expect(ada.locator("#sign form")).to_have_count(0)
    forged = await forge_post(ada, f"{path}/approve", signature("ada"))
    assert forged.status == 403
    await expect(ada.locator("#refused")).to_contain_text(said("only QA may approve a recipe"))
    locked = await ada.goto(f"{path}/edit")  # past its draft: a new version is written instead
    assert locked is not None and locked.status == 409
    await expect(ada.locator(".alert")).to_contain_text(said(f"recipe {code} v1 is in review"))

    # An administrator sees no form and writes no draft; a forged signature is refused.
    adam = await sign_in(browser, site, "adam")
    await adam.goto(path)
    await expect(adam.locator("#sign form")).to_have_count(0)
    await expect(adam.locator("#edit-draft, #new-version")).to_have_count(0)
    forged = await forge_post(adam, f"{path}/approve", signature("adam"))
    assert forged.status == 403
    await expect(adam.locator("#refused")).to_contain_text(
        said("a system administrator may not approve a recipe")
    )
    await adam.goto("/recipes")
    await expect(adam.locator("#new-draft")).to_have_count(0)
    answer = await adam.goto("/recipes/new")
    assert answer is not None and answer.status == 403
    await expect(adam.locator(".alert")).to_contain_text(
        said("a system administrator may not write")
    )

    # Nothing of it was recorded: QA approves, the only approval in the history.
    quinn = await sign_in(browser, site, "quinn")
    await quinn.goto(path)
    await fill_signature(quinn.locator("#approve-form"), "quinn")
    assert (await post(quinn, "#approve-form button[type=submit]")).status == 303
    await expect(quinn.locator("#state")).to_have_text("Effective")
    meanings = quinn.locator("#history .signature .meaning")
    await expect(meanings).to_have_text(["Authored", "Reviewed", "Approved"])
    for page in (author, sam, ada, adam, quinn):
        await page.context.close()


async def test_a_version_returned_to_draft_shows_the_comments_to_its_author(
    browser: Browser, site: Site, screenshots: Path
) -> None:
    code = new_code()
    await submitted(site, blend(code))
    path = f"/recipes/{code}/1"

    # The supervisor returns it; comments are required, and asked for again when missing.
    sam = await sign_in(browser, site, "sam")
    await sam.goto(path)
    forged = await forge_post(sam, f"{path}/return", signature("sam"))
    assert forged.status == 422
    back = sam.locator("#return-form")
    await expect(back.locator(".alert")).to_contain_text(said("the reason is required"))
    await expect(back.locator(".has-error textarea[name=reason]")).to_have_count(1)
    await expect(sam.locator("#state")).to_have_text("In review")
    comments = "Say which mixer: the speeds differ on M-2 and M-3."
    await back.get_by_label("Comments for the author").fill(comments)
    await fill_signature(back, "sam")
    assert (await post(sam, "#return-form button[type=submit]")).status == 303
    await expect(sam.locator("#done")).to_have_text(
        "Returned to draft with comments: signed (rejected)."
    )
    await expect(sam.locator("#state")).to_have_text("Draft")

    # Its author reads them on its page and in the editor, and sends a corrected draft again.
    ada = await sign_in(browser, site, "ada")
    await ada.goto(path)
    await expect(ada.locator("#returned")).to_contain_text(comments)
    await expect(ada.locator("#returned")).to_contain_text("Sam Lindqvist (sam)")
    rejected = ada.locator("#history .meaning-rejected")
    await expect(rejected).to_contain_text(comments)
    await ada.click("#edit-draft")
    await expect(ada.locator("#returned")).to_contain_text(comments)
    await shot(ada, screenshots, "recipe-returned")
    assert await saved(ada, blend(code, mix="Mix on mixer M-2 at low speed.")) == 303
    await expect(ada.locator("#done")).to_have_text("Draft saved.")
    await fill_signature(ada.locator("#submit-form"), "ada")
    assert (await post(ada, "#submit-form button[type=submit]")).status == 303
    await expect(ada.locator("#state")).to_have_text("In review")
    await expect(ada.locator("#returned")).to_have_count(0)
    meanings = ada.locator("#history .signature .meaning")
    await expect(meanings).to_have_text(["Authored", "Rejected", "Authored"])
    for page in (sam, ada):
        await page.context.close()


async def test_a_draft_whose_dry_run_finds_problems_is_not_submitted(
    browser: Browser, site: Site
) -> None:
    code = new_code()
    ada = await sign_in(browser, site, "ada")
    await ada.goto("/recipes")
    await ada.click("#new-draft")
    late = blend(code, extra=too_slow_step())
    assert await saved(ada, late, "#dry-run-button") == 200
    await expect(ada.locator("#dry-run .dry-run-summary")).to_contain_text("1 problem found")
    await expect(ada.locator("#dry-run .finding")).to_contain_text("step rest")
    assert await saved(ada, late) == 303
    await fill_signature(ada.locator("#submit-form"), "ada")
    assert (await post(ada, "#submit-form button[type=submit]")).status == 409
    await expect(ada.locator("#submit-form .alert")).to_contain_text(
        said(f"the dry run of recipe {code} v1 finds 1 problem(s)")
    )
    await expect(ada.locator("#state")).to_have_text("Draft")
    await expect(ada.locator("#source")).to_have_value(late)
    await ada.context.close()
