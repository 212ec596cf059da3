"""The pages' forms read into the JSON routes' request models: the model's bounds refuse a form
before anything is sent or a password tried, named field by field in words, and a field's reason
is the one the JSON API gives for the same bound."""

from __future__ import annotations

import html
import re

import httpx
import pytest
from starlette.datastructures import FormData

from api.deviation_schemas import (
    DeviationClassification,
    DeviationDisposition,
    DeviationInvestigation,
)
from api.review_schemas import BatchRejection
from api.web.forms import InvalidForm, parse_form
from ebr.domain.meanings import Meaning
from ebr.store.db import session_scope
from ebr.store.users import get_user
from tests.web.pages import http_sign_in, signature, status_of
from tests.web.prepared import posted, started
from tests.web.site import Site
from tests.web.test_quality import events

TOO_LONG = "x" * 4001
SIGNED = [("sign_user_id", "quinn"), ("sign_password", "secret")]
FIELD_ERROR = re.compile(r'<p class="field-error">([^<]*)</p>')
REFUSAL = re.compile(r'id="refusal">\s*<strong>Not recorded.</strong> ([^<]*)<')


def test_a_form_parses_into_the_json_routes_model() -> None:
    form = FormData(
        [
            ("decision", "rework"),
            ("reason", "  Weigh again.  "),
            ("rework_steps", "weigh-powder"),
            ("rework_steps", "mix"),
            ("capa_ref", " "),
            ("sign_user_id", " quinn "),
            ("sign_password", "secret"),
        ]
    )
    body = parse_form(DeviationDisposition, form)
    assert body.reason == "Weigh again."
    assert body.rework_steps == ["weigh-powder", "mix"]
    assert body.capa_ref is None and body.comment is None  # blank optional: the model's default
    assert body.signature.meaning is Meaning.APPROVED  # the meaning the model is signed with
    assert (body.signature.user_id, body.signature.password) == ("quinn", "secret")


def test_a_too_long_reason_is_refused_naming_the_field() -> None:
    form = FormData([("reason", TOO_LONG), ("sign_user_id", "rita"), ("sign_password", "pw")])
    with pytest.raises(InvalidForm) as refused:
        parse_form(BatchRejection, form)
    assert refused.value.message == (
        "the reason is 4001 characters long; at most 4000 fit: nothing was signed"
    )
    assert refused.value.details == [
        {"field": "reason", "reason": "String should have at most 4000 characters"}
    ]


def test_a_classification_form_parses_into_a_signed_classification() -> None:
    body = parse_form(
        DeviationClassification,
        FormData([("classification", "minor"), ("reason", " In range. ")] + SIGNED),
    )
    assert (body.classification.value, body.reason) == ("minor", "In range.")
    assert body.signature.meaning is Meaning.CLASSIFIED
    assert body.detail() == {"classification": "minor"}
    with pytest.raises(InvalidForm) as refused:
        parse_form(DeviationClassification, FormData([("classification", "minor")] + SIGNED))
    assert [p["field"] for p in refused.value.details] == ["reason"]
    assert refused.value.message.endswith("nothing was signed")


def test_a_missing_choice_and_a_blank_required_field_are_named_in_words() -> None:
    with pytest.raises(InvalidForm) as refused:
        parse_form(DeviationClassification, FormData([("reason", "x")] + SIGNED))
    assert refused.value.message == (
        "choose the classification: minor, major or critical: nothing was signed"
    )
    assert [p["field"] for p in refused.value.details] == ["classification"]
    with pytest.raises(InvalidForm) as blank:
        parse_form(DeviationInvestigation, FormData([("root_cause", "   "), ("impact", "")]))
    assert blank.value.message == (
        "the root cause is required; the impact is required: nothing was recorded"
    )


def test_a_signing_block_without_a_password_is_named_by_its_form_field() -> None:
    with pytest.raises(InvalidForm) as refused:
        parse_form(BatchRejection, FormData([("reason", "no"), ("sign_user_id", "rita")]))
    assert refused.value.message == "the password is required: nothing was signed"
    assert [p["field"] for p in refused.value.details] == ["sign_password"]


@pytest.mark.e2e
async def test_a_too_long_hold_reason_is_refused_as_the_json_api_refuses_it(site: Site) -> None:
    number = await started(site)
    async with httpx.AsyncClient(base_url=site.base_url, timeout=60) as sam:
        csrf = await http_sign_in(sam, "sam")
        page = await sam.post(
            f"/batches/{number}/hold", data={"csrf_token": csrf, "reason": TOO_LONG}
        )
        token = await sam.post(
            "/api/auth/token", data={"username": "sam", "password": "ebr-demo-lindqvist"}
        )
        api = await sam.post(
            f"/api/batches/{number}/hold",
            json={"reason": TOO_LONG},
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        )
    assert page.status_code == api.status_code == 422
    refusal = REFUSAL.search(page.text)
    assert refusal and html.unescape(refusal[1]).startswith(
        "The reason is 4001 characters long; at most 4000 fit: nothing was recorded."
    )
    [problem] = api.json()["details"]
    assert problem["field"] == "reason"
    assert FIELD_ERROR.findall(page.text) == [problem["reason"]]
    assert events(site, number)[2] == 0, "no hold was placed"
    assert status_of(site, number) == "in_progress"


@pytest.mark.e2e
async def test_a_refused_signed_form_tries_no_password(site: Site) -> None:
    """A rejection whose reason is too long is refused before its signature is looked at: a wrong
    password in it is not tried, so it does not count toward the lockout."""
    number = await started(site)
    with session_scope(site.engine) as session:
        user = get_user(session=session, user_id="rita")
        assert user is not None
        before = user.failed_attempts
    async with httpx.AsyncClient(base_url=site.base_url, timeout=60) as rita:
        csrf = await http_sign_in(rita, "rita")
        wrong = signature("rita", "Not-Ritas-Password-1")
        answer = await rita.post(
            f"/batches/{number}/decisions/reject/{number}",
            data={"csrf_token": csrf, "reason": TOO_LONG, **wrong},
        )
    assert answer.status_code == 422, answer.text
    assert "at most 4000 fit: nothing was signed" in answer.text
    assert "Not-Ritas-Password-1" not in answer.text
    with session_scope(site.engine) as session:
        user = get_user(session=session, user_id="rita")
        assert user is not None and user.failed_attempts == before
    assert status_of(site, number) == "in_progress"


@pytest.mark.e2e
async def test_a_classification_without_its_choice_sends_nothing(site: Site) -> None:
    number = await started(site)
    deviations = f"/batches/{number}/deviations"
    await posted(site, "olga", deviations, {"description": "Powder spilled."})
    dev = f"{deviations}/{number}-DEV-001"
    await posted(site, "sam", f"{dev}/investigate", {"root_cause": "Bag tore", "impact": "None"})
    classify = f"/batches/{number}/decisions/classify/{number}-DEV-001"
    async with httpx.AsyncClient(base_url=site.base_url, timeout=60) as quinn:
        csrf = await http_sign_in(quinn, "quinn")
        fields = {"csrf_token": csrf, "reason": "?", **signature("quinn")}
        answer = await quinn.post(classify, data=fields)
        assert answer.status_code == 422
        assert "Choose the classification: minor, major or critical" in answer.text
        # Nor without a reason, nor unsigned: the form comes back saying so.
        fields = {"csrf_token": csrf, "classification": "minor", **signature("quinn")}
        answer = await quinn.post(classify, data=fields)
        assert answer.status_code == 422 and "The reason is required" in answer.text
        fields = {"csrf_token": csrf, "classification": "minor", "reason": "Bag only."}
        answer = await quinn.post(classify, data=fields)
        assert answer.status_code == 422 and "nothing was signed" in answer.text
        # The old unsigned route is gone.
        answer = await quinn.post(f"{dev}/classify", data={"csrf_token": csrf, "reason": "?"})
        assert answer.status_code == 404
    assert events(site, number)[1] == ["investigated"]
