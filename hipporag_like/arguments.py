"""What callers hand the library, checked at its front doors (Index, read_corpus): a one-line
InputError naming the argument, instead of a TypeError from deep inside, or worse, a bad
passage committed where it later breaks deletes, sync or export.

Pure: no I/O.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Any, Iterable

from .corpus import MAX_PASSAGE_CHARS, Passage, is_passage_id, json_type, passage_id
from .errors import InputError
from .text import has_visible, unicode_problem


def _kind(value: Any) -> str:
    return "a Passage" if isinstance(value, Passage) else json_type(value)


def question_text(question: Any) -> str:
    """A question: a string with something visible in it, and valid Unicode."""
    if not isinstance(question, str):
        raise InputError(f"the question must be a string, got {_kind(question)}")
    problem = unicode_problem(question)
    if problem:
        raise InputError(f"the question {problem}")
    if not has_visible(question):
        raise InputError("the question is empty")
    return question


def count(value: Any, name: str, least: int = 1) -> int:
    """A whole number of at least `least` (k, steps): not a bool, a float or a string."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{name} must be a whole number, got {value!r}")
    if value < least:
        raise InputError(f"{name} must be at least {least}, got {value}")
    return value


def _many(values: Any, name: str, single: tuple[type, ...]) -> list[Any]:
    """A list from any iterable; one bare value of the `single` types counts as a list of one
    (a lone path or id), but a string is never walked character by character."""
    if isinstance(values, single):
        return [values]
    if isinstance(values, (str, bytes, dict)) or values is None or not isinstance(values, Iterable):
        raise InputError(f"{name} must be a list, got {_kind(values)}")
    return list(values)


def _list_of(values: Any, name: str, kinds: tuple[type, ...], what: str) -> list[Any]:
    """One value of `kinds`, or a list of them; `what` names one in the error."""
    found = _many(values, name, kinds)
    for i, value in enumerate(found):
        if not isinstance(value, kinds):
            raise InputError(f"{name}[{i}] must be {what}, got {_kind(value)}")
    return found


def paths(values: Any, name: str = "paths") -> list[str | Path]:
    """Files or folders: one path, or a list of them."""
    return _list_of(values, name, (str, PathLike), "a path")


def passage_ids(values: Any, name: str = "passage_ids") -> list[str]:
    """Ids to remove: one id, or a list of them (each 16 hex digits is checked when planned)."""
    return _list_of(values, name, (str,), "a passage id string")


def passages(values: Any, name: str = "passages") -> list[Passage]:
    """Passages to write, each as `Passage.make` or `read_corpus` makes them."""
    found = _list_of(values, name, (Passage,), "a Passage (Passage.make(title, text))")
    for i, value in enumerate(found):
        _check_passage(value, f"{name}[{i}]")
    return found


def _check_passage(p: Passage, where: str) -> None:
    for field in ("title", "text", "source", "doc_id"):
        if not isinstance(getattr(p, field), str):
            raise InputError(f"{where}: field \"{field}\" must be a string, got {_kind(getattr(p, field))}")
    problem = unicode_problem(p.content)
    if problem:
        raise InputError(f"{where}: title or text {problem}")
    if not has_visible(p.text):
        raise InputError(f"{where}: field \"text\" is empty")
    if len(p.text) > MAX_PASSAGE_CHARS:
        raise InputError(f"{where}: text is {len(p.text):,} characters, over the {MAX_PASSAGE_CHARS:,} limit; "
                         "read_corpus cuts long documents into passages")
    if not isinstance(p.id, str) or not is_passage_id(p.id) or p.id != passage_id(p.title, p.text):
        raise InputError(f"{where}: id {p.id!r} is not the content hash of its title and text (make it with Passage.make)")
    if p.span is not None and not (isinstance(p.span, tuple) and len(p.span) == 2
                                   and all(isinstance(x, int) and not isinstance(x, bool) for x in p.span)):
        raise InputError(f"{where}: field \"span\" must be (start, end) whole numbers, got {p.span!r}")
    if isinstance(p.position, bool) or not isinstance(p.position, int):
        raise InputError(f"{where}: field \"position\" must be a whole number, got {p.position!r}")
    if p.metadata is not None and not isinstance(p.metadata, dict):
        raise InputError(f"{where}: field \"metadata\" must be an object, got {_kind(p.metadata)}")
