"""Reading recipe text (YAML, or JSON, which is YAML) into plain data, safely and within limits.

``read_recipe_text`` refuses, at its line and column, what a recipe never needs and what could
make reading it slow or unbounded: text over ``MAX_TEXT_BYTES`` (before parsing), anchors and
aliases (the "billion laughs" expansion), nesting deeper than ``MAX_NESTING``, more than
``MAX_NODES`` values, more than ``MAX_STEPS`` steps, a key repeated in a mapping (YAML would keep
the last), merge keys (``<<``), tags other than YAML's plain ones and integers too long to convert.
Only plain data comes out: mappings, lists, text, numbers, booleans, null (and dates, which the
recipe model refuses where it wants text).

PyYAML parses (libyaml's parser when PyYAML has it, as its wheels do; its Python parser
otherwise), and PyYAML's safe resolver and constructors read each scalar. The data is built
from the parser's events by the loop below, not by PyYAML's composer and constructor: it never
recurses, checks each rule as it goes, and is several times faster (the worst text within the
limits, 100,000 empty lists, takes 0.18 s of CPU; PyYAML's C loader 0.45 s, its Python composer
over libyaml 0.9 s), which is what keeps every refusal well under a second.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from yaml import YAMLError
from yaml.composer import ComposerError
from yaml.constructor import SafeConstructor
from yaml.error import MarkedYAMLError
from yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    NodeEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode
from yaml.parser import Parser
from yaml.reader import Reader, ReaderError
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from ebr.domain.recipe_limits import MAX_NESTING, MAX_NODES, MAX_STEPS, MAX_TEXT_BYTES
from ebr.domain.refusals import RecipeInvalid

__all__ = ["read_recipe_text"]

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _MERGE, _MAP, _SEQ = (_TAG + t for t in ("str", "int", "merge", "map", "seq"))
# The scalars a recipe may hold besides text; read by PyYAML's safe constructors.
_SCALARS = {_TAG + t for t in ("null", "bool", "int", "float", "timestamp")}
# More digits than any number of a recipe needs; int() of a longer string costs time, and Python
# refuses more than 4,300 digits with a ValueError.
_MAX_INT_CHARS = 40
# Where a step's mapping is: the top mapping › procedure › each › operations › each › steps › each.
_STEP_PATH = ["", "procedure", "*", "operations", "*", "steps", "*"]

_ANCHORS = (
    "anchors and aliases (&name, *name) are not allowed: a recipe needs none, and they can make "
    "a small text expand into a huge one"
)
_TOO_DEEP = f"mappings and lists nest deeper than {MAX_NESTING} levels (a recipe needs 10)"
_TOO_MANY_NODES = (
    f"the text holds more than {MAX_NODES:,} values (mappings, lists, keys and values); "
    "reading more would take too long, and a recipe of the largest size needs fewer"
)
_TOO_MANY_STEPS = (
    f"the recipe has more than {MAX_STEPS:,} steps (this is step {MAX_STEPS + 1:,}); the limit "
    f"is {MAX_STEPS:,}, so that a batch can carry every step's progress under Temporal's 2 MB "
    "payload limit"
)
# libyaml's own bound on nesting, met while it looks ahead for keys (10,000 "[" on one line)
# before our loop sees the 21st level; its error is worded as ours.
_LIBYAML_TOO_DEEP = "exceeded maximum nesting depth"


class _Refused(MarkedYAMLError):
    """A rule of recipe text broken at a place of the text (not a YAML syntax error)."""

    def __init__(self, problem: str, mark: Any) -> None:
        # ``mark`` is PyYAML's Mark or libyaml's; both have the line and column.
        super().__init__(problem=problem, problem_mark=mark)


def read_recipe_text(text: str) -> Any:
    """The data a recipe text holds, or RecipeInvalid naming the place and the rule broken.

    Refused, each in well under a second whatever the text: more than ``MAX_TEXT_BYTES`` bytes
    of UTF-8 (before parsing), text that is not Unicode, YAML syntax errors, more than one
    document, anchors and aliases, nesting deeper than ``MAX_NESTING``, more than ``MAX_NODES``
    values, more than ``MAX_STEPS`` steps, a repeated key, a key that is a mapping or a list,
    merge keys, tags (``!!python/object``, ``!!binary``, ``!custom``...) and integers of more than
    40 characters. The details name the place as ``line L, column C`` (or ``document``).
    """
    size = _utf8_size(text)
    if size > MAX_TEXT_BYTES:
        message = f"the recipe text is {size:,} bytes; the limit is {MAX_TEXT_BYTES:,} bytes (1 MB)"
        raise RecipeInvalid(message, [{"where": "document", "field": None, "message": message}])
    reader = _Reader(text)
    try:
        return reader.read()
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
        reader.dispose()


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


@dataclass(slots=True)
class _Collection:
    """A mapping or list being read: its items so far, and for a mapping the key read last."""

    items: dict[Any, Any] | list[Any]
    name: str  # its key in the mapping holding it, "*" in a list, "" at the top
    # The line of each key of a mapping, to name both places of a repeated key.
    key_lines: dict[Any, int]
    key: Any = None
    has_key: bool = False


class _Building(SafeConstructor, Resolver):
    """Builds the data from the parser's events, checking the rules of recipe text as it goes."""

    if TYPE_CHECKING:  # given by the parser mixed in below; declared here for the type checker

        def get_event(self) -> Event | None: ...
        def dispose(self) -> None: ...

    def read(self) -> Any:
        """The one document's data (None for an empty text)."""
        self._open: list[_Collection] = []
        self._nodes = self._steps = 0
        result: Any = None
        documents = 0
        while True:
            event = self.get_event()
            kind = type(event)  # compared by identity: the loop runs for every value
            value: Any
            if kind is ScalarEvent:
                assert isinstance(event, ScalarEvent)
                self._nodes += 1
                if self._nodes > MAX_NODES or event.anchor:
                    self._refuse_node(event)
                value = self._scalar(event)
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                assert isinstance(event, CollectionStartEvent)
                self._nodes += 1
                if self._nodes > MAX_NODES or event.anchor:
                    self._refuse_node(event)
                self._start(event, kind is MappingStartEvent)
                continue
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                value = self._open.pop().items
            elif isinstance(event, AliasEvent):
                raise _Refused(_ANCHORS, event.start_mark)
            elif isinstance(event, DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise ComposerError(
                        "expected a single document in the stream", None,
                        "but found another document", _mark(event),
                    )  # fmt: skip
                continue
            elif event is None or isinstance(event, StreamEndEvent):
                return result
            else:
                continue  # the start of the stream, the end of the document
            if not self._open:
                result = value
            elif type(items := self._open[-1].items) is list:
                items.append(value)
            else:
                _add(self._open[-1], value, event)

    def _refuse_node(self, event: NodeEvent) -> NoReturn:
        if event.anchor:
            raise _Refused(_ANCHORS, event.start_mark)
        raise _Refused(_TOO_MANY_NODES, event.start_mark)

    def _start(self, event: CollectionStartEvent, mapping: bool) -> None:
        if len(self._open) >= MAX_NESTING:
            raise _Refused(_TOO_DEEP, event.start_mark)
        if event.tag is not None and event.tag not in ("!", _MAP if mapping else _SEQ):
            raise _Refused(
                f"the tag {_shown(event.tag)} is not allowed: {_PLAIN}", event.start_mark
            )
        if not self._open:
            name = ""
        elif isinstance(self._open[-1].items, list):
            name = "*"
        else:
            name = str(self._open[-1].key)
        # Counted as read, so that 10,000 steps are refused after reading 1,001.
        if mapping and len(self._open) == len(_STEP_PATH) - 1 and self._in_steps(name):
            self._steps += 1
            if self._steps > MAX_STEPS:
                raise _Refused(_TOO_MANY_STEPS, event.start_mark)
        self._open.append(_Collection({} if mapping else [], name, {}))

    def _in_steps(self, name: str) -> bool:
        """Whether a mapping named ``name`` opening now is a step: procedure › * › steps › *."""
        return [c.name for c in self._open] + [name] == _STEP_PATH

    def _scalar(self, event: ScalarEvent) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.resolve(ScalarNode, event.value, event.implicit)  # type: ignore[no-untyped-call]  # untyped in PyYAML's stubs
        if tag == _STR:
            return event.value
        if tag == _MERGE:
            raise _Refused(
                "merge keys (<<) are not allowed: write each field out", event.start_mark
            )
        if tag not in _SCALARS:
            raise _Refused(f"the tag {_shown(tag)} is not allowed: {_PLAIN}", event.start_mark)
        if tag == _INT and len(event.value) > _MAX_INT_CHARS:
            message = f"an integer of more than {_MAX_INT_CHARS} characters"
            raise _Refused(message, event.start_mark)
        node = ScalarNode(tag, event.value, _mark(event), None, event.style)
        try:
            return self.yaml_constructors[tag](self, node)
        except (ValueError, OverflowError) as exc:  # a date such as 2026-13-45
            message = f"{_shown(event.value)} cannot be read as {tag.removeprefix(_TAG)}: {exc}"
            raise _Refused(message, event.start_mark) from None


_PLAIN = "a recipe holds only mappings, lists, text, numbers, booleans and null"


def _add(holder: _Collection, value: Any, event: Event | None) -> None:
    """Put a key or a value read into the mapping holding it; a repeated key is refused."""
    assert isinstance(holder.items, dict)  # read() appends to lists itself
    if not holder.has_key:
        if isinstance(value, dict | list):
            message = "a key must be text or a number, not a mapping or a list"
            raise _Refused(message, _mark(event))
        first = holder.key_lines.get(value)
        if first is not None:
            raise _Refused(
                f"the key {_shown(value)} is repeated (first on line {first}); "
                "YAML would silently keep only the last",
                _mark(event),
            )
        holder.key, holder.has_key = value, True
        holder.key_lines[value] = _line_of(event)
    else:
        holder.items[holder.key] = value
        holder.key, holder.has_key = None, False


def _mark(event: Event | None) -> Any:
    """Where the event starts: PyYAML's Mark, or libyaml's (the stubs tell them apart)."""
    return event.start_mark if event is not None else None


def _line_of(event: Event | None) -> int:
    mark = _mark(event)
    return int(mark.line) + 1 if mark is not None else 0


class _PythonReader(_Building, Reader, Scanner, Parser):
    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)


_Reader: Callable[[str], _Building]
try:
    from yaml._yaml import CParser
except ImportError:  # PyYAML built without libyaml: the same rules, read about 3 times slower
    _Reader = _PythonReader
else:

    class _LibyamlReader(_Building, CParser):
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

    _Reader = _LibyamlReader


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


def _shown(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else f"{shown[:57]}..."
