"""Domain errors: stable codes and kinds the API and CLI translate without knowing each error."""

from __future__ import annotations

import pytest

from ebr.domain.errors import (
    ERRORS_BY_CODE,
    DomainError,
    ErrorKind,
    RoleNotAllowed,
    StepOutOfOrder,
    kind_of,
)


def test_codes_are_unique_and_map_back_to_their_class() -> None:
    for code, cls in ERRORS_BY_CODE.items():
        assert cls.code == code
        assert issubclass(cls, DomainError)
    assert len({cls.code for cls in ERRORS_BY_CODE.values()}) == len(ERRORS_BY_CODE)


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("recipe_invalid", ErrorKind.INVALID),
        ("invalid_values", ErrorKind.INVALID),
        ("unknown_step", ErrorKind.NOT_FOUND),
        ("step_out_of_order", ErrorKind.CONFLICT),
        ("role_not_allowed", ErrorKind.FORBIDDEN),
        ("verifier_is_performer", ErrorKind.FORBIDDEN),
        ("batch_not_active", ErrorKind.CONFLICT),
        ("something_new", ErrorKind.CONFLICT),
    ],
)
def test_kind_of_a_code(code: str, kind: ErrorKind) -> None:
    assert kind_of(code) is kind


def test_as_dict_is_the_api_error_body() -> None:
    error = StepOutOfOrder("step 'a' comes first", {"step_id": "b", "next_step": "a"})
    assert error.as_dict() == {
        "error": "step_out_of_order",
        "message": "step 'a' comes first",
        "details": {"step_id": "b", "next_step": "a"},
    }
    assert str(error) == "step 'a' comes first"
    assert RoleNotAllowed("no").as_dict()["details"] is None


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("batch_on_hold", ErrorKind.CONFLICT),
        ("too_early", ErrorKind.CONFLICT),
        ("release_blocked", ErrorKind.CONFLICT),
        ("segregation_of_duties", ErrorKind.FORBIDDEN),
        ("deviation_state", ErrorKind.CONFLICT),
        ("rework_invalid", ErrorKind.CONFLICT),
        ("transition_not_allowed", ErrorKind.CONFLICT),
        ("comment_required", ErrorKind.INVALID),
        ("hold_not_active", ErrorKind.CONFLICT),
        ("already_reviewed", ErrorKind.CONFLICT),
        ("unknown_deviation", ErrorKind.NOT_FOUND),
        ("unknown_hold", ErrorKind.NOT_FOUND),
        ("unknown_exception", ErrorKind.NOT_FOUND),
    ],
)
def test_kinds_of_the_hold_deviation_and_release_errors(code: str, kind: ErrorKind) -> None:
    assert code in ERRORS_BY_CODE
    assert kind_of(code) is kind
