"""Reading recipe text (YAML, or JSON, which is YAML) into plain data, safely and within limits.

``read_recipe_text`` refuses, with the line and column, what a recipe never needs and what could
make reading it slow or unbounded: text over ``MAX_TEXT_BYTES`` (before parsing), anchors and
aliases (the "billion laughs" expansion), nesting deeper than ``MAX_NESTING`` (never a
RecursionError), a key repeated in a mapping (YAML would silently keep the last), merge keys
(``<<``) and integers too long to convert. Only plain data comes out: mappings, lists, strings,
numbers, booleans, null (and dates, which the recipe model refuses).

The loader is PyYAML's safe constructor over libyaml's parser when PyYAML has it (it does in its
wheels): libyaml reads about ten times faster than PyYAML's Python parser and accepts JSON indented
with tabs. Without it, the same rules run over the Python parser.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from yaml import YAMLError
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.error import MarkedYAMLError
from yaml.events import AliasEvent, CollectionStartEvent, Event, NodeEvent
from yaml.nodes import MappingNode, Node, ScalarNode
from yaml.parser import Parser
from yaml.reader import Reader, ReaderError
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from ebr.domain.recipe_limits import MAX_NESTING, MAX_TEXT_BYTES
from ebr.domain.refusals import RecipeInvalid

__all__ = ["read_recipe_text"]

_MERGE = "tag:yaml.org,2002:merge"
_INT = "tag:yaml.org,2002:int"
# More digits than any limit of a recipe needs; int() of a longer string costs time, and Python
# refuses more than 4,300 digits with a ValueError.
_MAX_INT_CHARS = 40
_TOO_DEEP = f"mappings and lists nest deeper than {MAX_NESTING} levels (a recipe needs 10)"
# libyaml's own bound on nesting; its scanner, looking ahead for keys, can meet it before the
# composer meets ours (10,000 "[" on one line), so its error is worded as ours.
_LIBYAML_TOO_DEEP = "exceeded maximum nesting depth"


class _Refused(MarkedYAMLError):
    """A rule of recipe text broken at a place of the text (not a YAML syntax error)."""

    def __init__(self, problem: str, mark: Any) -> None:
        # ``mark`` is PyYAML's Mark or libyaml's; both have the line and column.
        super().__init__(problem=problem, problem_mark=mark)


def read_recipe_text(text: str) -> Any:
    """The data a recipe text holds, or RecipeInvalid naming the place and the rule broken.

    Refused: more than ``MAX_TEXT_BYTES`` bytes of UTF-8 (before parsing), text that is not
    Unicode, YAML syntax errors, anchors and aliases, nesting deeper than ``MAX_NESTING``, a key
    repeated in a mapping, merge keys and integers of more than 40 characters; each in well under
    a second whatever the text.
    """
    size = _utf8_size(text)
    if size > MAX_TEXT_BYTES:
        message = f"the recipe text is {size:,} bytes; the limit is {MAX_TEXT_BYTES:,} bytes (1 MB)"
        raise RecipeInvalid(message, [{"where": "document", "field": None, "message": message}])
    loader = _Loader(text)
    try:
        return loader.get_single_data()
    except _Refused as exc:
        raise _refusal(_place(exc), exc.problem or "refused") from exc
    except YAMLError as exc:
        where = _place(exc, text)
        if _LIBYAML_TOO_DEEP in str(getattr(exc, "problem", "")):
            raise _refusal(where, _TOO_DEEP) from exc
        raise RecipeInvalid(
            f"the recipe is not valid YAML ({where})",
            [{"where": where, "field": None, "message": _syntax_problem(exc)}],
        ) from exc
    finally:
        loader.dispose()


def _utf8_size(text: str) -> int:
    if len(text) > MAX_TEXT_BYTES:
        return len(text.encode("utf-8", "surrogatepass"))
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError as exc:
        where = _line_and_column(text, exc.start)
        message = f"the text holds a lone surrogate (U+{ord(text[exc.start]):04X}), not Unicode"
        raise _refusal(where, message) from None


def _refusal(where: str, problem: str) -> RecipeInvalid:
    return RecipeInvalid(
        f"the recipe text is refused ({where}): {problem}",
        [{"where": where, "field": None, "message": problem}],
    )


class _Rules(Composer, SafeConstructor, Resolver):
    """The rules of recipe text, whichever parser gives the events."""

    _depth = 0

    if TYPE_CHECKING:  # given by the parser mixed in below; declared here for the type checker

        def peek_event(self) -> Event | None: ...
        def dispose(self) -> None: ...

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        event = self.peek_event()
        if isinstance(event, AliasEvent) or (isinstance(event, NodeEvent) and event.anchor):
            raise _Refused(
                "anchors and aliases (&name, *name) are not allowed: a recipe needs "
                "none, and they can make a small text expand into a huge one",
                event.start_mark,
            )
        if isinstance(event, CollectionStartEvent):
            self._depth += 1
            if self._depth > MAX_NESTING:
                raise _Refused(_TOO_DEEP, event.start_mark)
            try:
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1
        return super().compose_node(parent, index)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE:
                raise _Refused(
                    "merge keys (<<) are not allowed: write each field out",
                    key_node.start_mark,
                )
            key = self.construct_object(key_node, deep=True)
            try:
                seen = first_line.get(key)
            except TypeError:
                continue  # an unhashable key: PyYAML's own construct_mapping refuses it
            line = key_node.start_mark.line + 1
            if seen is not None:
                raise _Refused(
                    f"the key {_shown(key)} is repeated (first on line {seen}); "
                    "YAML would silently keep only the last",
                    key_node.start_mark,
                )
            first_line[key] = line
        return super().construct_mapping(node, deep)

    def compose_scalar_node(self, anchor: dict[Any, Node]) -> ScalarNode:
        node = super().compose_scalar_node(anchor)
        if node.tag == _INT and len(str(node.value)) > _MAX_INT_CHARS:
            raise _Refused(f"an integer of more than {_MAX_INT_CHARS} characters", node.start_mark)
        return node


class _PythonLoader(_Rules, Reader, Scanner, Parser):
    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)


_Loader: Callable[[str], _Rules]
try:
    from yaml._yaml import CParser
except ImportError:  # PyYAML built without libyaml: the same rules, read more slowly
    _Loader = _PythonLoader
else:

    class _LibyamlLoader(_Rules, CParser):
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

    _Loader = _LibyamlLoader


def _place(exc: YAMLError, text: str = "") -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        return f"line {mark.line + 1}, column {mark.column + 1}"
    if isinstance(exc, ReaderError) and text:
        return _line_and_column(text, exc.position)
    return "document"


def _line_and_column(text: str, position: int) -> str:
    line_start = text.rfind("\n", 0, position) + 1
    return f"line {text.count(chr(10), 0, position) + 1}, column {position - line_start + 1}"


def _syntax_problem(exc: YAMLError) -> str:
    """The YAML error in one line, without the file name PyYAML adds: 'while parsing a flow
    sequence (from line 2, column 7): did not find expected ',' or ']''."""
    if not isinstance(exc, MarkedYAMLError) or exc.problem is None:
        return str(exc).split("\n", 1)[0]
    context = ""
    if exc.context:
        mark = exc.context_mark
        start = f" (from line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        context = f"{exc.context}{start}: "
    return f"{context}{exc.problem}"


def _shown(key: Any) -> str:
    shown = repr(key)
    return shown if len(shown) <= 60 else f"{shown[:57]}..."
