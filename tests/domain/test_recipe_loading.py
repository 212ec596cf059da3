"""The recipe validator: every broken recipe is refused with the place, the field and the reason."""

from __future__ import annotations

from typing import Any

import pytest

from ebr.domain.recipe_loading import parse_recipe
from ebr.domain.refusals import RecipeInvalid, RefusalKind
from tests.domain.builders import as_yaml, mini_recipe_data, step

WEIGH = "unit procedure 'making' › operation 'dispense' › step 'weigh-api'"
MIX = "unit procedure 'making' › operation 'blend' › step 'mix'"
QA_RELEASE = "unit procedure 'making' › operation 'blend' › step 'qa-release'"


def _steps(data: dict[str, Any], operation: int) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = data["procedure"][0]["operations"][operation]["steps"]
    return steps


def _weigh(data: dict[str, Any]) -> dict[str, Any]:
    return _steps(data, 0)[1]


def _mix(data: dict[str, Any]) -> dict[str, Any]:
    return _steps(data, 1)[1]


def _refused(source: str | dict[str, Any]) -> tuple[RecipeInvalid, list[dict[str, Any]]]:
    text = source if isinstance(source, str) else as_yaml(source)
    with pytest.raises(RecipeInvalid) as caught:
        parse_recipe(text)
    error = caught.value
    assert error.code == "recipe_invalid"
    assert error.kind is RefusalKind.INVALID
    details: list[dict[str, Any]] = error.details
    assert details, "a refusal always says what is wrong"
    for problem in details:
        assert set(problem) == {"where", "field", "message"}
        assert problem["message"]
    return error, details


def _only(source: str | dict[str, Any]) -> dict[str, Any]:
    _, details = _refused(source)
    assert len(details) == 1, details
    return details[0]


def test_the_unbroken_recipe_parses() -> None:
    assert parse_recipe(as_yaml(mini_recipe_data())).code == "MINI-1"


def test_bad_yaml_names_line_and_column() -> None:
    error, details = _refused("code: MINI-1\nname: [unclosed\n")
    assert details[0]["where"].startswith("line ")
    assert "column" in details[0]["where"]
    assert details[0]["field"] is None
    assert "not valid YAML" in error.message


@pytest.mark.parametrize("text", ["- a\n- b\n", "just words\n", ""])
def test_a_document_that_is_not_a_mapping(text: str) -> None:
    error, details = _refused(text)
    assert details == [
        {"where": "document", "field": None, "message": "expected a mapping at the top"}
    ]
    assert "mapping" in error.message


@pytest.mark.parametrize("field", ["code", "version", "name", "product", "batch_size", "procedure"])
def test_missing_top_level_field(field: str) -> None:
    data = mini_recipe_data()
    del data[field]
    assert _only(data) == {"where": "recipe", "field": field, "message": "Field required"}


def test_missing_step_field_names_the_step() -> None:
    data = mini_recipe_data()
    del _mix(data)["instructions"]
    assert _only(data) == {"where": MIX, "field": "instructions", "message": "Field required"}


def test_unknown_unit_on_an_input() -> None:
    data = mini_recipe_data()
    _weigh(data)["inputs"][1]["unit"] = "kgs"
    assert _only(data) == {
        "where": f"{WEIGH} › input 'mass'",
        "field": "unit",
        "message": "unknown unit 'kgs'",
    }


def test_unknown_unit_of_the_batch_size() -> None:
    data = mini_recipe_data()
    data["batch_size"]["unit"] = "lb"
    assert _only(data) == {
        "where": "recipe",
        "field": "batch_size.unit",
        "message": "unknown unit 'lb'",
    }


def test_min_greater_than_max() -> None:
    data = mini_recipe_data()
    _weigh(data)["inputs"][1].update({"min": "10.05", "max": "9.95"})
    problem = _only(data)
    assert problem["where"] == f"{WEIGH} › input 'mass'"
    assert problem["message"] == "min 10.05 is greater than max 9.95"


def test_duplicate_step_id_across_operations() -> None:
    data = mini_recipe_data()
    _mix(data)["id"] = "weigh-api"
    problem = _only(data)
    assert problem["where"] == "recipe"
    assert problem["message"] == "step id 'weigh-api' is used more than once"


def test_duplicate_operation_id() -> None:
    data = mini_recipe_data()
    data["procedure"][0]["operations"][1]["id"] = "dispense"
    assert _only(data)["message"] == "operation id 'dispense' is used more than once"


def test_duplicate_input_names_in_a_step() -> None:
    data = mini_recipe_data()
    _mix(data)["inputs"][1]["name"] = "speed"
    problem = _only(data)
    assert problem["where"] == MIX
    assert problem["message"] == "input names repeat: speed"


def test_instruction_step_with_inputs() -> None:
    data = mini_recipe_data()
    _mix(data)["kind"] = "instruction"
    problem = _only(data)
    assert problem["where"] == MIX
    assert problem["message"] == "an instruction step takes no inputs"


@pytest.mark.parametrize("inputs", [[], None])
def test_record_step_without_inputs(inputs: list[Any] | None) -> None:
    data = mini_recipe_data()
    if inputs is None:
        del _mix(data)["inputs"]
    else:
        _mix(data)["inputs"] = inputs
    problem = _only(data)
    assert problem["where"] == MIX
    assert problem["message"] == "a record step needs at least one input"


def test_check_step_without_a_check_input() -> None:
    data = mini_recipe_data()
    _steps(data, 1)[3]["inputs"] = [{"name": "note", "label": "Note", "type": "text"}]
    problem = _only(data)
    assert problem["where"] == QA_RELEASE
    assert problem["message"] == "a check step needs at least one check input"


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_auditor_and_admin_do_not_perform_steps(role: str) -> None:
    data = mini_recipe_data()
    _steps(data, 1)[3]["role"] = role
    assert _only(data) == {
        "where": QA_RELEASE,
        "field": "role",
        "message": f"role {role!r} does not perform steps",
    }


def test_unknown_role() -> None:
    data = mini_recipe_data()
    _mix(data)["role"] = "manager"
    problem = _only(data)
    assert (problem["where"], problem["field"]) == (MIX, "role")
    assert "'supervisor'" in problem["message"]


@pytest.mark.parametrize("bad_id", ["Weigh API", "weigh api", "-weigh", "wéigh", "w" * 65, ""])
def test_step_id_must_match_the_pattern(bad_id: str) -> None:
    data = mini_recipe_data()
    _weigh(data)["id"] = bad_id
    problem = _only(data)
    assert problem["field"] == "id"
    assert problem["where"].startswith("unit procedure 'making' › operation 'dispense' › step ")
    assert "pattern" in problem["message"]


def test_input_name_must_match_the_pattern() -> None:
    data = mini_recipe_data()
    _weigh(data)["inputs"][1]["name"] = "Net Mass"
    problem = _only(data)
    assert (problem["where"], problem["field"]) == (f"{WEIGH} › input 'Net Mass'", "name")
    assert "pattern" in problem["message"]


def test_recipe_code_must_be_upper_case() -> None:
    data = mini_recipe_data()
    data["code"] = "mini-1"
    problem = _only(data)
    assert (problem["where"], problem["field"]) == ("recipe", "code")
    assert "pattern" in problem["message"]


def test_choice_with_one_option() -> None:
    data = mini_recipe_data()
    _mix(data)["inputs"][0]["options"] = ["low"]
    problem = _only(data)
    assert (problem["where"], problem["field"]) == (f"{MIX} › input 'speed'", "options")
    assert "at least 2 items" in problem["message"]


def test_choice_with_repeated_options() -> None:
    data = mini_recipe_data()
    _mix(data)["inputs"][0]["options"] = ["low", "high", "low"]
    assert _only(data) == {
        "where": f"{MIX} › input 'speed'",
        "field": "options",
        "message": "options must be distinct",
    }


def test_unquoted_yes_no_options_are_read_as_booleans_and_refused() -> None:
    text = as_yaml(mini_recipe_data()).replace("- low\n", "- yes\n").replace("- high\n", "- no\n")
    _, details = _refused(text)
    assert [(p["where"], p["field"]) for p in details] == [
        (f"{MIX} › input 'speed'", "options.0"),
        (f"{MIX} › input 'speed'", "options.1"),
    ]
    assert all("valid string" in p["message"] for p in details)


def test_typo_in_a_step_field_is_refused_not_ignored() -> None:
    data = mini_recipe_data()
    _weigh(data)["verfy"] = _weigh(data).pop("verify")
    assert _only(data) == {
        "where": WEIGH,
        "field": "verfy",
        "message": "Extra inputs are not permitted",
    }


def test_typo_in_an_input_field_is_refused_not_ignored() -> None:
    data = mini_recipe_data()
    _weigh(data)["inputs"][1]["maximum"] = _weigh(data)["inputs"][1].pop("max")
    assert _only(data) == {
        "where": f"{WEIGH} › input 'mass'",
        "field": "maximum",
        "message": "Extra inputs are not permitted",
    }


def test_unknown_input_type() -> None:
    data = mini_recipe_data()
    _mix(data)["inputs"][0]["type"] = "date"
    problem = _only(data)
    assert problem["where"] == f"{MIX} › input 'speed'"
    assert "'date'" in problem["message"]


def test_unknown_step_kind() -> None:
    data = mini_recipe_data()
    _mix(data)["kind"] = "verify"
    problem = _only(data)
    assert (problem["where"], problem["field"]) == (MIX, "kind")
    assert "'instruction', 'record' or 'check'" in problem["message"]


def test_version_must_be_positive() -> None:
    data = mini_recipe_data()
    data["version"] = 0
    problem = _only(data)
    assert (problem["where"], problem["field"]) == ("recipe", "version")
    assert "greater than or equal to 1" in problem["message"]


def test_operation_without_steps() -> None:
    data = mini_recipe_data()
    data["procedure"][0]["operations"][1]["steps"] = []
    problem = _only(data)
    assert (problem["where"], problem["field"]) == (
        "unit procedure 'making' › operation 'blend'",
        "steps",
    )
    assert "at least 1 item" in problem["message"]


def test_step_that_is_not_a_mapping_is_named_by_position() -> None:
    data = mini_recipe_data()
    data["procedure"][0]["operations"][1]["steps"][2] = "supervisor-check"
    problem = _only(data)
    assert problem["where"] == "unit procedure 'making' › operation 'blend' › step #3"
    assert "valid dictionary" in problem["message"]


def test_every_problem_is_reported_at_once() -> None:
    data = mini_recipe_data()
    _weigh(data)["inputs"][1]["unit"] = "kgs"
    _mix(data)["role"] = "admin"
    _steps(data, 1).append(step("extra", "record"))
    error, details = _refused(data)
    places = {(p["where"], p["field"]) for p in details}
    assert places == {
        (f"{WEIGH} › input 'mass'", "unit"),
        (MIX, "role"),
        ("unit procedure 'making' › operation 'blend' › step 'extra'", None),
    }
    assert "weigh-api" in error.message
    assert error.as_dict() == {
        "error": "recipe_invalid",
        "message": error.message,
        "details": details,
    }
