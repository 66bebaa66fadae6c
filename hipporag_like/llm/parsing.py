"""Turn what a model wrote into entities and triples, tolerating the usual ways models go wrong.

Models wrap JSON in code fences, add a sentence before or after it, write Python-style single
quotes, or stop mid-list when they hit the token limit. Everything here is a pure function over
a string: `json` first, then a small forgiving scanner of our own. Nothing is ever evaluated.
When no usable value is found, `ParseError` says why in a few words.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Iterator

Triple = tuple[str, str, str]

ENTITY_KEYS = ("named_entities", "entities")
TRIPLE_KEYS = ("triples", "triplets")
_MAX_STARTS = 64  # candidate '{' / '[' positions tried before giving up
_FENCE = re.compile(r"```[ \t]*[A-Za-z0-9_-]*[ \t]*\r?\n?(.*?)(?:```|\Z)", re.DOTALL)
_BARE_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_WORDS = {"true": True, "false": False, "null": None, "True": True, "False": False, "None": None}


class ParseError(ValueError):
    """The answer holds nothing usable; the message is a short reason."""


@dataclass(frozen=True)
class ParsedTriples:
    triples: list[Triple]
    dropped: int  # items that were not three non-empty strings (or numbers)
    truncated: bool  # the answer stopped mid-list; only complete items were kept


@dataclass(frozen=True)
class _Found:
    value: Any
    truncated: bool


class _Truncated(Exception):
    """The text ended inside a value; `partial` holds what was complete."""

    def __init__(self, partial: Any) -> None:
        super().__init__("truncated")
        self.partial = partial


class _Invalid(Exception):
    pass


# -- the scanner ---------------------------------------------------------------------------------


class _Scanner:
    """A forgiving JSON reader: single quotes, bare keys, trailing commas, Python literals.

    At the end of the text it raises `_Truncated` with the complete part: lists keep their
    complete items, objects keep their complete entries (and a list cut short inside them).
    """

    def __init__(self, text: str, pos: int) -> None:
        self.text = text
        self.pos = pos

    def skip_space(self) -> None:
        text, pos = self.text, self.pos
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        self.pos = pos

    def peek(self) -> str:
        self.skip_space()
        if self.pos >= len(self.text):
            raise _Truncated(None)
        return self.text[self.pos]

    def value(self) -> Any:
        char = self.peek()
        if char == "{":
            return self.obj()
        if char == "[":
            return self.array()
        if char in "\"'":
            return self.string()
        number = _NUMBER.match(self.text, self.pos)
        if number:
            self.pos = number.end()
            if self.pos >= len(self.text):
                raise _Truncated(None)  # "12" at the very end may be "123..."
            literal = number.group()
            return float(literal) if any(c in literal for c in ".eE") else int(literal)
        word = _BARE_WORD.match(self.text, self.pos)
        if word and word.group() in _WORDS:
            self.pos = word.end()
            return _WORDS[word.group()]
        raise _Invalid(f"unexpected {char!r}")

    def string(self) -> str:
        quote = self.text[self.pos]
        self.pos += 1
        out: list[str] = []
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char == "\\":
                if self.pos + 1 >= len(text):
                    break
                out.append(self._escape())
                continue
            if char == quote and (quote == '"' or self._closes_single_quote()):
                self.pos += 1
                return "".join(out)
            out.append(char)
            self.pos += 1
        raise _Truncated(None)

    def _closes_single_quote(self) -> bool:
        """An apostrophe inside a single-quoted string ('O'Brien') does not end it."""
        rest = self.text[self.pos + 1 :].lstrip(" \t\r\n")
        return not rest or rest[0] in ",]}:"

    def _escape(self) -> str:
        code = self.text[self.pos + 1]
        self.pos += 2
        simple = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "/": "/", "\\": "\\", '"': '"', "'": "'"}
        if code in simple:
            return simple[code]
        if code == "u":
            digits = self.text[self.pos : self.pos + 4]
            if len(digits) < 4:
                raise _Truncated(None)
            try:
                char = chr(int(digits, 16))
            except ValueError:
                raise _Invalid("bad \\u escape") from None
            self.pos += 4
            return char
        return code

    def array(self) -> list[Any]:
        self.pos += 1
        items: list[Any] = []
        while True:
            try:
                char = self.peek()
            except _Truncated:
                raise _Truncated(items) from None
            if char == "]":
                self.pos += 1
                return items
            if char == ",":  # tolerate a leading or doubled comma
                self.pos += 1
                continue
            try:
                items.append(self.value())
            except _Truncated:
                raise _Truncated(items) from None  # drop the item cut short
            try:
                char = self.peek()
            except _Truncated:
                raise _Truncated(items) from None
            if char == ",":
                self.pos += 1
            elif char != "]":
                raise _Invalid(f"expected ',' or ']' but found {char!r}")

    def obj(self) -> dict[str, Any]:
        self.pos += 1
        entries: dict[str, Any] = {}
        while True:
            try:
                char = self.peek()
            except _Truncated:
                raise _Truncated(entries) from None
            if char == "}":
                self.pos += 1
                return entries
            if char == ",":
                self.pos += 1
                continue
            key: str | None = None
            try:
                key = self.key()
                if self.peek() != ":":
                    raise _Invalid("expected ':' after a key")
                self.pos += 1
                entries[key] = self.value()
            except _Truncated as cut:
                if key is not None and isinstance(cut.partial, (list, dict)):
                    entries[key] = cut.partial  # a list cut short keeps its complete items
                raise _Truncated(entries) from None
            try:
                char = self.peek()
            except _Truncated:
                raise _Truncated(entries) from None
            if char == ",":
                self.pos += 1
            elif char != "}":
                raise _Invalid(f"expected ',' or '}}' but found {char!r}")

    def key(self) -> str:
        char = self.peek()
        if char in "\"'":
            return self.string()
        word = _BARE_WORD.match(self.text, self.pos)
        if not word:
            raise _Invalid(f"expected a key but found {char!r}")
        self.pos = word.end()
        return word.group()


# -- finding the JSON in an answer ---------------------------------------------------------------


def _bodies(text: str) -> Iterator[str]:
    """The insides of code fences first (an unclosed fence runs to the end), then the whole text."""
    for match in _FENCE.finditer(text):
        if match.group(1).strip():
            yield match.group(1)
    yield text


def find_values(text: str) -> Iterator[_Found]:
    """Every JSON-ish object or list in `text`, best guesses first."""
    for body in _bodies(text):
        stripped = body.strip()
        try:
            yield _Found(json.loads(stripped), False)
            continue
        except (json.JSONDecodeError, RecursionError):
            pass
        starts = [i for i, c in enumerate(body) if c in "{["][:_MAX_STARTS]
        for start in starts:
            scanner = _Scanner(body, start)
            try:
                yield _Found(scanner.value(), False)
            except _Truncated as cut:
                if cut.partial is not None:
                    yield _Found(cut.partial, True)
            except (_Invalid, RecursionError, IndexError):
                continue


def _keyed_list(found: _Found, keys: tuple[str, ...], nested: bool) -> list[Any] | None:
    """The list under one of `keys`, or a bare list of the right shape."""
    value = found.value
    if isinstance(value, dict):
        for key in keys:
            if isinstance(value.get(key), list):
                return value[key]
        return None
    if isinstance(value, list) and (not value or nested == isinstance(value[0], (list, tuple))):
        return value
    return None


def _scalar_text(item: Any) -> str | None:
    """Strings as written (stripped), numbers as text (years are common objects); else None."""
    if isinstance(item, bool) or item is None:
        return None
    if isinstance(item, str):
        return item.strip() or None
    if isinstance(item, (int, float)):
        return str(item)
    return None


# -- the two answer shapes -----------------------------------------------------------------------


def parse_entities(text: str | None) -> list[str]:
    """`{"named_entities": [...]}` -> entity strings, deduplicated, in order."""
    if text is None or not text.strip():
        raise ParseError("empty answer")
    for found in find_values(text):
        items = _keyed_list(found, ENTITY_KEYS, nested=False)
        if items is None:
            continue
        entities: list[str] = []
        for item in items:
            entity = _scalar_text(item)
            if entity is not None and entity not in entities:
                entities.append(entity)
        return entities
    raise ParseError("no named_entities list found")


def parse_triples(text: str | None) -> ParsedTriples:
    """`{"triples": [[s, r, o], ...]}` -> complete string triples plus a count of dropped items."""
    if text is None or not text.strip():
        raise ParseError("empty answer")
    for found in find_values(text):
        items = _keyed_list(found, TRIPLE_KEYS, nested=True)
        if items is None:
            continue
        triples: list[Triple] = []
        dropped = 0
        for item in items:
            parts = [_scalar_text(p) for p in item] if isinstance(item, (list, tuple)) else []
            if len(parts) != 3 or any(p is None for p in parts):
                dropped += 1
                continue
            triple = (parts[0], parts[1], parts[2])
            if triple not in triples:
                triples.append(triple)  # type: ignore[arg-type]
        if items and not triples:
            raise ParseError(f"none of the {len(items)} triples has three strings")
        return ParsedTriples(triples, dropped, found.truncated)
    raise ParseError("no triples list found")
