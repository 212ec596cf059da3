"""Reading recipe text: hostile YAML is refused at its line, quickly, and never expands or recurses."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import yaml

from ebr.domain import recipe_yaml
from ebr.domain.recipe_limits import MAX_NESTING, MAX_NODES, MAX_TEXT_BYTES
from ebr.domain.recipe_loading import parse_recipe
from ebr.domain.refusals import RecipeInvalid
from tests.domain.builders import EXAMPLES, as_yaml, mini_recipe, mini_recipe_data

# "Billion laughs": 1 KB of anchors and aliases that a naive loader expands to 9^9 strings.
ALIAS_BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{x}: &{x} [{', '.join([f'*{prev}'] * 9)}]\n"
    for prev, x in zip("abcdefgh", "bcdefghi", strict=True)
)


def refused_quickly(load: Callable[[], object]) -> tuple[RecipeInvalid, float]:
    """The refusal ``load`` raises, and how long it took (how fast: ``bench/recipe_refusals.py``,
    not a timed test, which a busy machine would fail)."""
    start = time.perf_counter()
    with pytest.raises(RecipeInvalid) as caught:
        load()
    elapsed = time.perf_counter() - start
    error = caught.value
    assert error.code == "recipe_invalid"
    assert error.details and all(set(p) == {"where", "field", "message"} for p in error.details)
    return error, elapsed


def only_problem(text: str) -> dict[str, Any]:
    error, _ = refused_quickly(lambda: parse_recipe(text))
    assert len(error.details) == 1, error.details
    problem: dict[str, Any] = error.details[0]
    assert problem["message"] in error.message
    return problem


@pytest.fixture(params=["libyaml", "python"])
def each_parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The same rules whichever parser PyYAML has (libyaml in its wheels, or its Python one)."""
    if request.param == "python":
        monkeypatch.setattr(recipe_yaml, "_Reader", recipe_yaml._PythonReader)
    elif recipe_yaml._Reader is recipe_yaml._PythonReader:
        pytest.skip("this PyYAML is built without libyaml")
    yield request.param


def test_the_alias_bomb_is_small_and_refused_at_its_first_anchor(each_parser: str) -> None:
    assert len(ALIAS_BOMB) < 1024
    problem = only_problem(ALIAS_BOMB)
    assert problem["where"] == "line 1, column 4"
    assert problem["field"] is None
    assert "anchors and aliases (&name, *name) are not allowed" in problem["message"]
    assert "a recipe needs none" in problem["message"]


def test_an_anchor_without_an_alias_is_refused_too(each_parser: str) -> None:
    text = as_yaml(mini_recipe_data()).replace("product:", "product: &p", 1)
    problem = only_problem(text)
    assert problem["where"].startswith("line 4, ")
    assert "anchors and aliases" in problem["message"]


@pytest.mark.parametrize(
    "text",
    [
        "[" * 10_000 + "]" * 10_000,
        "code: " + "{a: " * 10_000 + "1" + "}" * 10_000,
        "code:\n" + "".join(" " * n + "-\n" for n in range(1, 400)),
    ],
    ids=["10000-brackets", "10000-flow-mappings", "399-block-lists"],
)
def test_deep_nesting_is_refused_not_a_recursion_error(each_parser: str, text: str) -> None:
    problem = only_problem(text)
    assert problem["where"].startswith("line ")
    assert problem["message"] == (
        f"mappings and lists nest deeper than {MAX_NESTING} levels (a recipe needs 10)"
    )


def test_nesting_up_to_the_limit_is_read() -> None:
    inside = MAX_NESTING - 1  # the top mapping is the first level
    text = "code: " + "[" * inside + "]" * inside
    error, _ = refused_quickly(lambda: parse_recipe(text))
    assert "nest deeper" not in error.message  # refused by the recipe model, not by the reader
    one_more = "code: " + "[" * MAX_NESTING + "]" * MAX_NESTING
    assert only_problem(one_more)["where"] == f"line 1, column {6 + MAX_NESTING}"


@pytest.mark.parametrize(
    "text",
    ["code: [" + "[]," * 330_000 + "[]]", "code: [" + "a," * 490_000 + "a]", "- a\n" * 240_000],
    ids=["empty-lists", "letters", "block-list"],
)
def test_a_text_of_tiny_values_is_refused_at_the_node_budget(text: str) -> None:
    assert len(text) < MAX_TEXT_BYTES
    problem = only_problem(text)
    assert problem["where"].startswith("line ")
    assert problem["message"] == (
        f"the text holds more than {MAX_NODES:,} values (mappings, lists, keys and values); "
        "reading more would take too long, and a recipe of the largest size needs fewer"
    )


def test_a_5_mb_document_is_refused_before_parsing() -> None:
    text = "code: GRAN\ndescription: " + "x" * 5_000_000 + "\n"
    error, _ = refused_quickly(lambda: parse_recipe(text))
    assert error.details == [
        {
            "where": "document",
            "field": None,
            "message": f"the recipe text is {len(text):,} bytes; the limit is {MAX_TEXT_BYTES:,} "
            "bytes (1 MB)",
        }
    ]


def test_the_size_limit_counts_utf8_bytes() -> None:
    text = "code: X\ndescription: " + "°" * (MAX_TEXT_BYTES // 2)  # 2 bytes each
    assert len(text) < MAX_TEXT_BYTES
    error, _ = refused_quickly(lambda: parse_recipe(text))
    assert error.details[0]["where"] == "document"
    assert "the limit is 1,000,000 bytes" in error.details[0]["message"]


def test_a_repeated_top_level_key_is_named_with_both_lines(each_parser: str) -> None:
    text = as_yaml(mini_recipe_data()) + "version: 2\n"
    problem = only_problem(text)
    line = text.count("\n")
    assert problem == {
        "where": f"line {line}, column 1",
        "field": None,
        "message": "the key 'version' is repeated (first on line 2); "
        "YAML would silently keep only the last",
    }


def test_a_repeated_key_in_a_step_is_refused(each_parser: str) -> None:
    text = as_yaml(mini_recipe_data()).replace(
        "      kind: instruction\n", "      kind: instruction\n      kind: record\n", 1
    )
    assert text.splitlines()[47:49] == ["      kind: instruction", "      kind: record"]
    assert only_problem(text) == {
        "where": "line 49, column 7",
        "field": None,
        "message": "the key 'kind' is repeated (first on line 48); "
        "YAML would silently keep only the last",
    }


def test_a_repeated_key_in_json_is_refused() -> None:
    text = json.dumps(mini_recipe_data())[:-1] + ', "code": "OTHER"}'
    problem = only_problem(text)
    assert problem["where"].startswith("line 1, column ")
    assert "the key 'code' is repeated (first on line 1)" in problem["message"]


def test_keys_equal_as_values_are_repeats() -> None:
    problem = only_problem("1: a\n0x1: b\n")
    assert problem["message"].startswith("the key 1 is repeated (first on line 1)")


def test_merge_keys_are_refused() -> None:
    problem = only_problem("code: X\n<<: {name: merged}\n")
    assert problem == {
        "where": "line 2, column 1",
        "field": None,
        "message": "merge keys (<<) are not allowed: write each field out",
    }


def test_an_integer_too_long_to_convert_is_refused() -> None:
    problem = only_problem("version: " + "9" * 100_000 + "\n")
    assert problem == {
        "where": "line 1, column 10",
        "field": None,
        "message": "an integer of more than 40 characters",
    }


def test_json_is_read_as_yaml_even_indented_with_tabs() -> None:
    text = json.dumps(mini_recipe_data(), indent="\t", ensure_ascii=False)
    assert parse_recipe(text).content_hash() == mini_recipe().content_hash()


def test_a_lone_surrogate_is_refused_with_its_place() -> None:
    problem = only_problem("code: X\nname: a\ud800b\n")
    assert problem == {
        "where": "line 2, column 8",
        "field": None,
        "message": "the text holds a lone surrogate (U+D800), not Unicode",
    }


def test_a_control_character_is_refused_with_its_place() -> None:
    error, _ = refused_quickly(lambda: parse_recipe("code: X\nname: a\x07b\n"))
    assert error.details[0]["where"] == "line 2, column 8"
    assert "#x0007" in error.details[0]["message"]


def test_yaml_syntax_errors_read_in_one_line_without_a_file_name() -> None:
    error, _ = refused_quickly(lambda: parse_recipe("code: MINI-1\nname: [unclosed\n"))
    assert error.message == "the recipe is not valid YAML (line 3, column 1)"
    message = error.details[0]["message"]
    assert message.startswith("while parsing a flow sequence (from line 2, column 7): ")
    assert "<unicode string>" not in message and "\n" not in message


def test_two_documents_are_refused() -> None:
    error, _ = refused_quickly(lambda: parse_recipe(as_yaml(mini_recipe_data()) + "---\na: 1\n"))
    assert "not valid YAML" in error.message
    assert "expected a single document" in error.details[0]["message"]


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        (
            "code: !!python/object/apply:os.system [echo]\n",
            "'tag:yaml.org,2002:python/object/apply:os.system'",
        ),
        ("code: !!binary aGVsbG8=\n", "'tag:yaml.org,2002:binary'"),
        ("code: !custom x\n", "'!custom'"),
        ("code: !!set {a, b}\n", "'tag:yaml.org,2002:set'"),
        ("code: !!omap [a: 1]\n", "'tag:yaml.org,2002:omap'"),
    ],
)
def test_tags_are_refused(each_parser: str, text: str, tag: str) -> None:
    problem = only_problem(text)
    assert problem == {
        "where": "line 1, column 7",
        "field": None,
        "message": f"the tag {tag} is not allowed: a recipe holds only mappings, lists, text, "
        "numbers, booleans and null",
    }


def test_plain_tags_are_read() -> None:
    data = recipe_yaml.read_recipe_text("a: !!str 1\nb: !!int '2'\nc: !!float 3\nd: !!null ''\n")
    assert data == {"a": "1", "b": 2, "c": 3.0, "d": None}


def test_a_key_that_is_a_mapping_is_refused() -> None:
    problem = only_problem("? {a: 1}\n: x\n")
    assert problem["message"] == "a key must be text or a number, not a mapping or a list"


def test_an_impossible_date_is_refused_not_a_traceback() -> None:
    problem = only_problem("code: 2026-13-45\n")
    assert problem["where"] == "line 1, column 7"
    assert problem["message"].startswith("'2026-13-45' cannot be read as timestamp: ")


@pytest.mark.parametrize("filename", ["demo-short.yaml", "gran-pcm500.yaml", "juice-oj1000.yaml"])
def test_the_reader_gives_what_pyyaml_gives_for_the_examples(
    each_parser: str, filename: str
) -> None:
    text = (EXAMPLES / filename).read_text(encoding="utf-8")
    assert recipe_yaml.read_recipe_text(text) == yaml.safe_load(text)


def test_the_reader_gives_what_pyyaml_gives_for_plain_scalars() -> None:
    text = (
        "a: [1, -2, 0x1F, 0o17, 1_000, 1.5, -.5, .inf, .nan, 1e3, 1.0e+3, yes, No, on, ~, null, '',"
        " 2026-03-02, 2026-03-02T08:00:00Z, '1.10', \"x\\ty\", plain text, \u00b0C]\n"
        "b: |\n  two\n  lines\n"
        "c: {}\nd: []\n"
    )
    read, loaded = recipe_yaml.read_recipe_text(text), yaml.safe_load(text)
    assert repr(read) == repr(loaded)  # repr: nan is not equal to itself
