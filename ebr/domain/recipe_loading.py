"""Turning recipe text into a validated Recipe, with errors naming the step and field at fault."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from ebr.domain.recipe import Recipe
from ebr.domain.recipe_limits import MAX_PROBLEMS
from ebr.domain.recipe_yaml import read_recipe_text
from ebr.domain.refusals import RecipeInvalid

_CONTAINERS = {"procedure": "unit procedure", "operations": "operation", "steps": "step"}


def parse_recipe(text: str) -> Recipe:
    """Parse YAML (or JSON) recipe text; raise RecipeInvalid listing every problem.

    The text is read within the limits of ``ebr.domain.recipe_limits`` (size, nesting, no
    anchors or aliases, no repeated keys: ``ebr.domain.recipe_yaml``), then validated as a Recipe,
    whose models bound its content. Either way a bad recipe is refused in well under a second.
    """
    data = read_recipe_text(text)
    if not isinstance(data, dict):
        raise RecipeInvalid(
            "the recipe must be a mapping of fields",
            [{"where": "document", "field": None, "message": "expected a mapping at the top"}],
        )
    return recipe_from_data(data)


def recipe_from_data(data: dict[str, Any]) -> Recipe:
    """Validate recipe data; raise RecipeInvalid naming each problem in the recipe's own words.

    ``details`` hold the first ``MAX_PROBLEMS`` problems, then one saying how many more there are.
    """
    try:
        return Recipe.model_validate(data)
    except ValidationError as exc:
        errors = _without_cascades(exc.errors())
        problems = [_describe(data, error) for error in errors[:MAX_PROBLEMS]]
        summary = "; ".join(f"{p['where']}: {p['message']}" for p in problems[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        if len(errors) > MAX_PROBLEMS:
            unlisted = len(errors) - MAX_PROBLEMS
            problems.append(
                {
                    "where": "recipe",
                    "field": None,
                    "message": f"{unlisted} more problems not listed (at most {MAX_PROBLEMS} are)",
                }
            )
        raise RecipeInvalid(f"the recipe is invalid: {summary}{more}", problems) from exc


def _without_cascades(errors: list[Any]) -> list[Any]:
    """Drop "too short" errors on a list whose own items failed: the items' errors say more."""
    inside = {tuple(e["loc"])[:end] for e in errors for end in range(1, len(e["loc"]))}
    return [e for e in errors if not (e["type"] == "too_short" and tuple(e["loc"]) in inside)]


def _describe(data: dict[str, Any], error: Any) -> dict[str, Any]:
    """Translate a pydantic error location into the recipe's own words: step 'x', input 'y'."""
    loc: tuple[Any, ...] = tuple(error["loc"])
    places: list[str] = []
    node: Any = data
    field: str | None = None
    i = 0
    while i < len(loc):
        key = loc[i]
        if key in _CONTAINERS and i + 1 < len(loc) and isinstance(loc[i + 1], int):
            index = loc[i + 1]
            node = _child(_child(node, key), index)
            places.append(_name_of(_CONTAINERS[key], node, index))
            i += 2
        elif key == "inputs" and i + 1 < len(loc) and isinstance(loc[i + 1], int):
            index = loc[i + 1]
            node = _child(_child(node, key), index)
            label = node.get("name") if isinstance(node, dict) else None
            places.append(f"input {label!r}" if label else f"input #{index + 1}")
            i += 2
            if (
                i < len(loc)
                and isinstance(loc[i], str)
                and loc[i] in {"number", "text", "check", "choice"}
            ):
                i += 1  # the discriminator's tag, not a field of the recipe
        else:
            field = ".".join(str(part) for part in loc[i:])
            break
    message = str(error["msg"]).removeprefix("Value error, ")
    return {
        "where": " › ".join(places) if places else "recipe",
        "field": field,
        "message": message,
    }


def _child(node: Any, key: Any) -> Any:
    if isinstance(node, dict):
        return node.get(key)
    if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
        return node[key]
    return None


def _name_of(label: str, node: Any, index: int) -> str:
    ident = node.get("id") if isinstance(node, dict) else None
    return f"{label} {ident!r}" if ident else f"{label} #{index + 1}"
