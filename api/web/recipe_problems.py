"""A refused recipe text's problems as the editor shows them: each at its place in the recipe
(step, input, field) and, where the text allows, at its line, with that line's text.

``ebr.domain.recipe_loading`` names each problem in the recipe's own words (``unit procedure
'making' › operation 'blend' › step 'mix' › input 'speed'``, field ``max``) and a problem of the
text itself by its line (``line 12, column 5``). An author edits lines, so the editor finds the
line of the others too: the text was read within the recipe limits already (it is refused before
it gets this far otherwise), so composing it again is bounded and safe.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = ["Problem", "located"]

_LINE = re.compile(r"^line (\d+), column (\d+)$")
_PLACE = re.compile(r"^(unit procedure|operation|step|input) (?:#(\d+)|(.+))$")
# Each place of a problem's ``where``, the list that holds it and the key that names its items.
_CONTAINERS = {
    "unit procedure": ("procedure", "id"),
    "operation": ("operations", "id"),
    "step": ("steps", "id"),
    "input": ("inputs", "name"),
}
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Problem:
    """One problem of a recipe text: where in the recipe, which field, what is wrong, and the
    line (from 1) and that line's text when it can be told."""

    where: str
    field: str | None
    message: str
    line: int | None = None
    text: str = ""


def located(source: str, details: object) -> list[Problem]:
    """``RecipeInvalid``'s details (``[{"where", "field", "message"}]``) with their lines found in
    ``source``, the text that was refused."""
    problems = [p for p in details if isinstance(p, dict)] if isinstance(details, list) else []
    lines = source.splitlines()
    root = (
        _composed(source) if any(not _LINE.match(str(p.get("where"))) for p in problems) else None
    )
    found = []
    for problem in problems:
        where, field = str(problem.get("where", "recipe")), problem.get("field")
        field = str(field) if field is not None else None
        line = _line_of(root, where, field)
        text = lines[line - 1].strip() if line is not None and 0 < line <= len(lines) else ""
        found.append(Problem(where, field, str(problem.get("message", "")), line, text))
    return found


def _composed(source: str) -> Node | None:
    try:
        node: Node | None = yaml.compose(source, Loader=_Loader)
    except yaml.YAMLError:
        return None
    return node


def _line_of(root: Node | None, where: str, field: str | None) -> int | None:
    """The line of ``field`` at ``where``; of the place itself when the field is absent."""
    if (marked := _LINE.match(where)) is not None:
        return int(marked[1])
    node = _place(root, where)
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in (field or "").split(".") if field else ():
        key, value = _child(node, part)
        if key is None or value is None:
            break
        line, node = key.start_mark.line + 1, value
    return line


def _place(root: Node | None, where: str) -> Node | None:
    """The mapping ``where`` names (``recipe``: the top), following each place in turn."""
    node = root
    if where == "recipe":
        return node
    for part in where.split(" › "):
        matched = _PLACE.match(part)
        if node is None or matched is None:
            return None
        key, name = _CONTAINERS[matched[1]]
        items = _child(node, key)[1]
        if not isinstance(items, SequenceNode):
            return None
        if matched[2] is not None:
            index = int(matched[2]) - 1
            node = items.value[index] if 0 <= index < len(items.value) else None
        else:
            node = _named(items, name, _literal(matched[3]))
    return node


def _named(items: SequenceNode, key: str, wanted: str) -> Node | None:
    item: Node
    for item in items.value:
        found = _child(item, key)[1]
        if isinstance(found, ScalarNode) and found.value == wanted:
            return item
    return None


def _child(node: Node, part: str) -> tuple[Node | None, Node | None]:
    """The key and value of ``part`` in a mapping, or the item at index ``part`` of a list."""
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if isinstance(key, ScalarNode) and key.value == part:
                return key, value
    if isinstance(node, SequenceNode) and part.isdigit() and int(part) < len(node.value):
        item: Node = node.value[int(part)]
        return item, item
    return None, None


def _literal(shown: str) -> str:
    """An id as the domain quotes it (``'mix'``, Python's repr of text) back as text; anything
    else as it is shown."""
    if len(shown) < 2 or shown[0] != shown[-1] or shown[0] not in "'\"":
        return shown
    try:
        value = ast.literal_eval(shown)
    except (ValueError, SyntaxError):
        return shown
    return str(value)
