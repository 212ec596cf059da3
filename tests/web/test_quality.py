"""The QA side of the pages: a deviation from its out-of-limit value to QA's signed disposition,
review by exception and a signed release by a QA who executed no step; segregation of duties,
holds, wrong passwords on signed decisions, CSRF on the new forms, HTML typed into a deviation."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from ebr.store.batch_events import load_batch_events
from ebr.store.db import session_scope
from tests.web.pages import (
    fill_signature,
    http_sign_in,
    never_echoed,
    post,
    records_of,
    shot,
    sign_in,
    signature,
    status_of,
    step,
)
from tests.web.prepared import cleared, posted, signed_step, started
from tests.web.site import Site

pytestmark = pytest.mark.e2e

XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
WRONG = "Not-Quinns-Password-5512"


def events(site: Site, number: str) -> tuple[int, list[str], int, int]:
    """How many deviations, their stages, how many holds and review marks the store holds."""
    with session_scope(site.engine) as session:
        found = load_batch_events(session=session, batch_id=number)
    stages = [d.stage.value for d in found.deviations]
    return len(found.deviations), stages, len(found.holds), len(found.marks)


async def test_deviation_review_and_release_through_the_pages(
    browser: Browser, site: Site, screenshots: Path
) -> None:
    number = await started(site)
    await cleared(site, number)

    # An operator records an out-of-limit value on a critical input, with her comment.
    olga = await sign_in(browser, site, "olga")
    await olga.goto(f"/batches/{number}")
    # A critical input is verified by a second person, though the recipe's step says no verify.
    moisture = olga.locator(f"{step('blend-moisture')} .tag.verify")
    await expect(moisture).to_have_text(
        "second-person verification (critical input: Loss on drying)"
    )
    await expect(olga.locator(f"{step('mix')} .tag.verify")).to_have_count(0)
    weigh = olga.locator(f"{step('weigh-powder')} .complete-form")
    await weigh.get_by_label("Powder lot number").fill("PL-7730")
    await weigh.get_by_label("Net mass of powder").fill("10.20")
    await weigh.locator("textarea[name=comment]").fill("Scale S-4 showed 10.20 kg.")
    await fill_signature(weigh, "olga")
    assert (await post(olga, f"{step('weigh-powder')} button[type=submit]")).status == 303
    dev = f"#dev-{number}-DEV-001"
    box = olga.locator(dev)
    await expect(box).to_contain_text("origin: out of limit")
    await expect(box.locator(".badge")).to_have_text("open")
    await expect(box).to_contain_text("critical parameter")
    await expect(box.locator(".description")).to_contain_text("powder-mass")
    await expect(box).to_contain_text("Next: investigation by a supervisor")
    await expect(olga.locator("#hold-banner")).to_contain_text("Batch on hold")
    await expect(olga.locator(".batch-head .badge")).to_have_text("on hold")
    await olga.locator("#hold-banner").scroll_into_view_if_needed()
    await shot(olga, screenshots, "quality-deviation-opened")

    # The supervisor investigates.
    sam = await sign_in(browser, site, "sam")
    await sam.goto(f"/batches/{number}")
    investigate = sam.locator(f"{dev} .investigate-form")
    await investigate.get_by_label("Root cause").fill("Scale S-4 out of calibration.")
    await investigate.get_by_label("Impact").fill("0.15 kg more powder; blend ratio within range.")
    assert (await post(sam, f"{dev} .investigate-form button")).status == 303
    await expect(sam.locator(f"{dev} .badge")).to_have_text("investigated")
    await expect(sam.locator(f"{dev} .investigation")).to_contain_text("out of calibration")
    await expect(sam.locator("#done")).to_have_text("Investigation recorded.")

    # QA classifies it minor, below the rules' class (its hold ends), and accepts it, signed.
    quinn = await sign_in(browser, site, "quinn")
    await quinn.goto(f"/batches/{number}")
    await expect(quinn.locator(f"{dev} .investigate-form")).to_have_count(0)
    classify = quinn.locator(f"{dev} .classify-form")
    await expect(classify.locator(".rules-class")).to_contain_text(
        "The rules class this deviation critical"
    )
    await expect(classify.locator(".signing-as")).to_contain_text("meaning: classified")
    await classify.get_by_label("minor").check()
    await classify.locator("textarea[name=reason]").fill("   ")
    await fill_signature(classify, "quinn")
    assert (await post(quinn, f"{dev} .classify-form button")).status == 422  # a blank reason
    await expect(quinn.locator(f"{dev} .alert.error")).to_contain_text("The reason is required")
    await expect(classify.get_by_label("minor")).to_be_checked()
    assert events(site, number)[1] == ["investigated"], "nothing was signed"
    await classify.locator("textarea[name=reason]").fill("Calibration offset only; blend in range.")
    await fill_signature(classify, "quinn")
    await classify.scroll_into_view_if_needed()
    await shot(quinn, screenshots, "quality-classification")
    assert (await post(quinn, f"{dev} .classify-form button")).status == 303
    await expect(quinn.locator("#done")).to_have_text("Classification signed and recorded.")
    shown = quinn.locator(f"{dev} .classification")
    await expect(shown).to_contain_text("minor")
    await expect(shown.locator(".below-rules")).to_have_text("below the rules' class (critical)")
    await expect(shown).to_contain_text("Calibration offset only")
    await expect(shown).to_contain_text("Signed (classified) by quinn")
    await expect(quinn.locator("#hold-banner")).to_have_count(0)
    disposition = quinn.locator(f"{dev} .disposition-form")
    await expect(disposition.locator(".signing-as")).to_contain_text("meaning: approved")
    await disposition.get_by_label("Accept (use as is)").check()
    await disposition.locator("textarea[name=reason]").fill("Within the blend's tolerance.")
    await disposition.get_by_label("CAPA reference").fill("CAPA-2026-017")
    await fill_signature(disposition, "quinn")
    await disposition.scroll_into_view_if_needed()
    await shot(quinn, screenshots, "quality-disposition")
    assert (await post(quinn, f"{dev} .disposition-form button")).status == 303
    closed = quinn.locator(dev)
    await expect(closed.locator(".badge")).to_have_text("closed")
    await expect(closed.locator(".disposition")).to_contain_text("accept")
    await expect(closed.locator(".disposition")).to_contain_text("Signed (approved) by quinn")
    await expect(closed).to_contain_text("CAPA-2026-017")
    await closed.scroll_into_view_if_needed()
    await shot(quinn, screenshots, "quality-deviation-closed")

    # The batch goes on: quinn verifies the weighing and performs the QA step.
    await signed_step(site, number, "quinn", "weigh-powder", "verify", {})
    await signed_step(site, number, "olga", "close-blender", "complete", {})
    mix = {"v-mix-time": "10", "v-appearance": "uniform"}
    await signed_step(site, number, "olga", "mix", "complete", mix)
    await signed_step(site, number, "olga", "blend-moisture", "complete", {"v-lod": "2.1"})
    # Its loss on drying is a critical input: verified, though the recipe does not ask it.
    await signed_step(site, number, "sam", "blend-moisture", "verify", {})
    await signed_step(site, number, "quinn", "qa-release", "complete", {"v-released": "yes"})
    assert status_of(site, number) == "awaiting_review"

    # QA reviews by exception: only the exceptions, each marked once.
    await quinn.goto(f"/batches/{number}/review")
    await expect(quinn.locator("h1")).to_have_text(f"Review of batch {number}")
    rows = quinn.locator("table.exceptions tr.exception")
    await expect(quinn.locator("table.exceptions")).to_contain_text("out of limit")
    await expect(quinn.locator("table.exceptions")).to_contain_text("deviation")
    await expect(quinn.locator("table.exceptions")).to_contain_text(
        "below the class the rules gave it (critical)"
    )
    await expect(quinn.locator("table.exceptions")).to_contain_text("UTC")
    await expect(quinn.locator("#missing")).to_contain_text("is not marked reviewed")
    total = await rows.count()
    assert total >= 3  # the value, its deviation, the deviation's hold (and comments)
    await shot(quinn, screenshots, "quality-review")
    first = quinn.locator("tr.exception.unreviewed .mark-form").first
    await first.locator("input[name=comment]").fill("Seen with the deviation.")
    assert (await post(quinn, "tr.exception.unreviewed .mark-form button >> nth=0")).status == 303
    await expect(quinn.locator("#done")).to_have_text("Exception marked reviewed.")
    await expect(quinn.locator("table.exceptions")).to_contain_text("Seen with the deviation.")
    while await quinn.locator("tr.exception.unreviewed").count():
        answer = await post(quinn, "tr.exception.unreviewed .mark-form button >> nth=0")
        assert answer.status == 303
    await expect(quinn.locator("tr.exception.reviewed")).to_have_count(total)
    await expect(quinn.locator("#missing")).to_contain_text("Nothing is missing")
    assert events(site, number)[3] == total

    # Quinn verified and performed steps: his release is refused, in words.
    release = quinn.locator(".release-form")
    await fill_signature(release, "quinn")
    answer = await post(quinn, ".release-form button")
    assert answer.status == 403
    await expect(quinn.locator("#refusal")).to_contain_text("performed or verified")
    await never_echoed(quinn, answer, "ebr-demo-moreau")
    assert status_of(site, number) == "awaiting_review"
    await shot(quinn, screenshots, "quality-release-segregation")

    # Rita, QA who executed no step, releases with her signature.
    rita = await sign_in(browser, site, "rita")
    await rita.goto(f"/batches/{number}/review")
    release = rita.locator(".release-form")
    await expect(release.locator(".signing-as")).to_have_text(
        "Signing as Rita Serrano (rita) — meaning: released"
    )
    await fill_signature(release, "rita")
    assert (await post(rita, ".release-form button")).status == 303
    await expect(rita.locator("#decided")).to_have_text("This batch is released.")
    await expect(rita.locator(".batch-head .badge")).to_have_text("released")
    await expect(rita.locator(".release-form")).to_have_count(0)
    assert status_of(site, number) == "released"
    await shot(rita, screenshots, "quality-released")

    # The record and report, for QA and auditors, through the page's session.
    async with rita.expect_download() as download:
        await rita.click("a.download[href$='record.json']")
    saved = await (await download.value).path()
    record = json.loads(Path(saved).read_text())
    assert record["records"] and record["audit"]
    pdf = await rita.request.get(f"/batches/{number}/report.pdf")
    assert pdf.status == 200 and pdf.headers["x-report-kind"] == "final"
    assert (await pdf.body()).startswith(b"%PDF")
    no = await olga.request.get(f"/batches/{number}/record.json")
    assert no.status == 403 and "qa, auditor" in await no.text()
    for page in (olga, sam, quinn, rita):
        await page.context.close()


async def test_a_hold_shows_its_banner_refuses_steps_and_is_lifted_by_signature(
    browser: Browser, site: Site, screenshots: Path
) -> None:
    number = await started(site)
    olga = await sign_in(browser, site, "olga")
    await olga.goto(f"/batches/{number}")  # her page, with the step's form, before the hold
    sam = await sign_in(browser, site, "sam")
    await sam.goto(f"/batches/{number}")
    await sam.click("#holds details.place-hold summary")
    await sam.locator(".hold-form textarea[name=reason]").fill("Blender B-2 alarm: check it.")
    assert (await post(sam, ".hold-form button")).status == 303
    await expect(sam.locator("#hold-banner")).to_contain_text("Blender B-2 alarm: check it.")
    await expect(sam.locator("#hold-banner")).to_contain_text("placed by sam")
    await expect(sam.locator(".batch-head .badge")).to_have_text("on hold")
    await shot(sam, screenshots, "quality-hold")

    form = olga.locator(f"{step('line-clearance')} .complete-form")
    await form.get_by_label("Yes").check()
    await fill_signature(form, "olga")
    answer = await post(olga, f"{step('line-clearance')} .complete-form button")
    assert answer.status == 409
    await expect(olga.locator("#refusal")).to_contain_text("on hold")
    await expect(olga.locator("#hold-banner")).to_contain_text("Blender B-2 alarm")
    await expect(olga.locator(f"{step('line-clearance')} .complete-form")).to_have_count(0)
    assert records_of(site, number) == 0
    await shot(olga, screenshots, "quality-hold-refused-step")

    quinn = await sign_in(browser, site, "quinn")
    await quinn.goto(f"/batches/{number}")
    lift = quinn.locator(".lift-form")
    await expect(lift.locator(".signing-as")).to_contain_text("meaning: approved")
    await lift.locator("textarea[name=reason]").fill("Alarm was a loose sensor cable; fixed.")
    await fill_signature(lift, "quinn", WRONG)
    answer = await post(quinn, ".lift-form button")
    assert answer.status == 401
    await expect(quinn.locator("#refusal")).to_contain_text("password is not correct")
    await expect(lift.locator("textarea[name=reason]")).to_have_value(
        "Alarm was a loose sensor cable; fixed."
    )
    await expect(lift.get_by_label("Password")).to_have_value("")
    await never_echoed(quinn, answer, WRONG)
    await expect(quinn.locator("#hold-banner")).to_have_count(1)
    assert status_of(site, number) == "on_hold"
    await lift.scroll_into_view_if_needed()
    await shot(quinn, screenshots, "quality-lift-wrong-password")

    await fill_signature(lift, "quinn")
    assert (await post(quinn, ".lift-form button")).status == 303
    await expect(quinn.locator("#hold-banner")).to_have_count(0)
    await expect(quinn.locator("table.holds")).to_contain_text("by quinn")
    assert status_of(site, number) == "in_progress"
    for page in (olga, sam, quinn):
        await page.context.close()


async def test_the_new_forms_need_the_sessions_csrf_token(site: Site) -> None:
    number = await started(site)
    async with httpx.AsyncClient(base_url=site.base_url, timeout=60) as quinn:
        csrf = await http_sign_in(quinn, "quinn")
        opened = await quinn.post(
            f"/batches/{number}/deviations", data={"csrf_token": csrf, "description": "Spill."}
        )
        assert opened.status_code == 303
        before = events(site, number)
        dev = f"/batches/{number}/deviations/{number}-DEV-001"
        forms = {
            f"/batches/{number}/deviations": {"description": "Another spill."},
            f"{dev}/investigate": {"root_cause": "x", "impact": "y"},
            f"/batches/{number}/decisions/classify/{number}-DEV-001": {
                "classification": "minor",
                "reason": "ok",
                **signature("quinn"),
            },
            f"/batches/{number}/decisions/disposition/{number}-DEV-001": {
                "decision": "accept",
                "reason": "ok",
                **signature("quinn"),
            },
            f"/batches/{number}/hold": {"reason": "stop"},
            f"/batches/{number}/decisions/lift/x": {"reason": "go", **signature("quinn")},
            f"/batches/{number}/review/mark": {"exception_id": f"deviation:{number}-DEV-001"},
            f"/batches/{number}/decisions/release/{number}": signature("quinn"),
            f"/batches/{number}/decisions/reject/{number}": {"reason": "no", **signature("quinn")},
        }
        for action, fields in forms.items():
            for token in (None, "", "0" * 64, csrf.upper()):
                sent = fields | ({"csrf_token": token} if token is not None else {})
                answer = await quinn.post(action, data=sent)
                assert answer.status_code == 403, action
                assert "nothing was recorded" in answer.text
        assert events(site, number) == before
        assert status_of(site, number) == "in_progress"


async def test_html_in_a_deviation_is_shown_as_text(
    browser: Browser, site: Site, screenshots: Path
) -> None:
    number = await started(site)
    omar = await sign_in(browser, site, "omar")  # any user opens a deviation by hand
    await omar.goto(f"/batches/{number}")
    await omar.click("#deviations details.open-deviation summary")
    opening = omar.locator(".open-deviation-form")
    await opening.get_by_label("What happened").fill(XSS)
    await opening.get_by_label("Step it concerns").select_option("weigh-powder")
    assert (await post(omar, ".open-deviation-form button")).status == 303
    await expect(omar.locator("#done")).to_have_text("Deviation opened.")
    await omar.context.close()

    quinn = await sign_in(browser, site, "quinn")
    dialogs: list[str] = []
    quinn.on("dialog", lambda dialog: dialogs.append(dialog.message))
    for path in (f"/batches/{number}", f"/batches/{number}/review"):
        shown = await quinn.goto(path)
        assert shown is not None
        html = await shown.text()
        assert XSS not in html and ESCAPED in html, path
        await expect(quinn.locator("script")).to_have_count(0)
    await expect(quinn.locator("table.exceptions")).to_contain_text(XSS)
    await quinn.goto(f"/batches/{number}")
    box = quinn.locator(f"#dev-{number}-DEV-001")
    await expect(box.locator(".description")).to_have_text(XSS)
    await expect(box).to_contain_text("by omar · Weigh the powder")
    await quinn.locator("#deviations").scroll_into_view_if_needed()
    await shot(quinn, screenshots, "quality-deviation-escaped")
    assert dialogs == []
    await quinn.context.close()


async def test_a_rejection_needs_its_reason_and_a_signature(
    browser: Browser, site: Site, screenshots: Path
) -> None:
    number = await started(site)
    rita = await sign_in(browser, site, "rita")
    await rita.goto(f"/batches/{number}/review")
    await expect(rita.locator(".release-form")).to_have_count(0)  # steps remain to be done
    await expect(rita.locator(".no-exception")).to_have_text(
        "The batch's execution had no exception."
    )
    await expect(rita.locator("#missing")).to_contain_text("Step 1 (Line clearance) is not done")
    await rita.click("#decision details.reject summary")
    reject = rita.locator(".reject-form")
    await expect(reject.locator(".signing-as")).to_contain_text("meaning: rejected")
    await reject.get_by_label("Reason for the rejection").fill("   ")
    await fill_signature(reject, "rita")
    assert (await post(rita, ".reject-form button")).status == 422
    await expect(rita.locator("#refusal")).to_contain_text("The reason is required")
    assert status_of(site, number) == "in_progress"
    await reject.get_by_label("Reason for the rejection").fill("Wrong powder lot dispensed.")
    await fill_signature(reject, "rita")
    assert (await post(rita, ".reject-form button")).status == 303
    await expect(rita.locator("#decided")).to_have_text("This batch is rejected.")
    assert status_of(site, number) == "rejected"
    await shot(rita, screenshots, "quality-rejected")
    await rita.context.close()


async def test_a_rework_disposition_opens_the_chosen_step_again(
    browser: Browser, site: Site, screenshots: Path
) -> None:
    number = await started(site)
    await cleared(site, number)
    weighing = {"v-powder-lot": "PL-1", "v-powder-mass": "10.30", "comment": "Overfilled."}
    await signed_step(site, number, "olga", "weigh-powder", "complete", weighing)
    dev = f"/batches/{number}/deviations/{number}-DEV-001"
    await posted(site, "sam", f"{dev}/investigate", {"root_cause": "Overfill", "impact": "Mass"})
    classified = {"classification": "major", "reason": "Overfill", **signature("quinn")}
    await posted(
        site, "quinn", f"/batches/{number}/decisions/classify/{number}-DEV-001", classified
    )
    assert status_of(site, number) == "on_hold"  # a major deviation holds until its disposition

    quinn = await sign_in(browser, site, "quinn")
    await quinn.goto(f"/batches/{number}")
    box = f"#dev-{number}-DEV-001"
    form = quinn.locator(f"{box} .disposition-form")
    await form.get_by_label("Rework the steps chosen below").check()
    await form.locator("textarea[name=reason]").fill("Weigh again from a new container.")
    await fill_signature(form, "quinn")
    assert (await post(quinn, f"{box} .disposition-form button")).status == 422  # no step chosen
    await expect(quinn.locator(f"{box} .alert.error")).to_contain_text("rework")
    await expect(form.locator("textarea[name=reason]")).to_have_value(
        "Weigh again from a new container."
    )
    assert events(site, number)[1] == ["classified"]
    await form.get_by_label("Rework the steps chosen below").check()
    await form.get_by_label("2. Weigh the powder").check()
    await fill_signature(form, "quinn")
    assert (await post(quinn, f"{box} .disposition-form button")).status == 303
    await expect(quinn.locator(f"{box} .disposition")).to_contain_text("rework of Weigh the powder")
    await expect(quinn.locator("#hold-banner")).to_have_count(0)
    await expect(quinn.locator(".batch-head .badge")).to_have_text("in progress")
    await expect(quinn.locator(f"{step('weigh-powder')} .step-head .badge")).to_have_text("pending")
    await quinn.locator(box).scroll_into_view_if_needed()
    await shot(quinn, screenshots, "quality-rework")
    await quinn.context.close()
