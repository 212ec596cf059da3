"""Refusals: one base with stable codes and kinds that the API and CLI translate without knowing
each one, and that survive crossing a process boundary by code."""

from __future__ import annotations

import pytest

import api.errors  # noqa: F401  (imports every layer's refusals, so by_code holds them all)
from ebr.accounts.errors import AccountLocked, SignatureRefused
from ebr.domain.refusals import Refusal, RefusalKind, RoleNotAllowed, StepOutOfOrder
from ebr.store.errors import Conflict, StoreError


def test_codes_are_unique_and_map_back_to_their_class() -> None:
    assert len(Refusal.by_code) > 30
    for code, cls in Refusal.by_code.items():
        assert cls.code == code
        assert issubclass(cls, Refusal)


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("recipe_invalid", RefusalKind.INVALID),
        ("invalid_values", RefusalKind.INVALID),
        ("unknown_step", RefusalKind.NOT_FOUND),
        ("step_out_of_order", RefusalKind.CONFLICT),
        ("role_not_allowed", RefusalKind.FORBIDDEN),
        ("verifier_is_performer", RefusalKind.FORBIDDEN),
        ("batch_not_active", RefusalKind.CONFLICT),
        ("batch_on_hold", RefusalKind.CONFLICT),
        ("too_early", RefusalKind.CONFLICT),
        ("release_blocked", RefusalKind.CONFLICT),
        ("segregation_of_duties", RefusalKind.FORBIDDEN),
        ("deviation_state", RefusalKind.CONFLICT),
        ("rework_invalid", RefusalKind.INVALID),
        ("transition_not_allowed", RefusalKind.CONFLICT),
        ("comment_required", RefusalKind.INVALID),
        ("hold_not_active", RefusalKind.CONFLICT),
        ("already_reviewed", RefusalKind.CONFLICT),
        ("unknown_deviation", RefusalKind.NOT_FOUND),
        ("unknown_hold", RefusalKind.NOT_FOUND),
        ("unknown_exception", RefusalKind.NOT_FOUND),
        ("account_locked", RefusalKind.LOCKED),
        ("signature_refused", RefusalKind.UNAUTHENTICATED),
        ("conflict", RefusalKind.CONFLICT),
        ("store_error", RefusalKind.DAMAGED),
    ],
)
def test_a_code_crossing_a_boundary_comes_back_as_its_own_class(
    code: str, kind: RefusalKind
) -> None:
    again = Refusal.of(code, "said elsewhere", {"x": 1})
    assert type(again) is Refusal.by_code[code]
    assert (again.code, again.kind, again.message, again.details) == (
        code,
        kind,
        "said elsewhere",
        {"x": 1},
    )


def test_an_unknown_code_keeps_the_kind_it_came_with() -> None:
    assert Refusal.of("something_new", "m", kind="forbidden").kind is RefusalKind.FORBIDDEN
    assert Refusal.of("something_new", "m").kind is RefusalKind.CONFLICT
    assert Refusal.of("something_new", "m", kind="nonsense").kind is RefusalKind.CONFLICT
    assert Refusal.of("something_new", "m").code == "something_new"


def test_every_layer_shares_the_one_base() -> None:
    for cls in (StepOutOfOrder, Conflict, StoreError, AccountLocked, SignatureRefused):
        assert issubclass(cls, Refusal)


def test_as_dict_is_the_api_error_body() -> None:
    error = StepOutOfOrder("step 'a' comes first", {"step_id": "b", "next_step": "a"})
    assert error.as_dict() == {
        "error": "step_out_of_order",
        "message": "step 'a' comes first",
        "details": {"step_id": "b", "next_step": "a"},
    }
    assert str(error) == "step 'a' comes first"
    assert RoleNotAllowed("no").as_dict()["details"] is None


def test_every_kind_has_an_http_status() -> None:
    assert set(api.errors.STATUS_OF_KIND) == set(RefusalKind)
