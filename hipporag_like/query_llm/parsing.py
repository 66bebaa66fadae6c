"""Read the query-time replies. Pure functions over a string; nothing is guessed.

A kept fact may be given by its number (as asked) or written out as a triple (as HippoRAG 2's
prompt asks, and as models often do anyway); a triple counts only when it matches a candidate
word for word (case and spacing aside), and a number only when it is in range. An unusable
reply raises ReaderParseError, so the shared `ask` asks once more and then gives up.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

from ..llm.parsing import find_values
from ..reader.parsing import ReaderParseError
from .prompts import Triple

FACT_KEYS = ("facts", "fact", "keep", "kept", "relevant_facts")
QUESTION_KEYS = ("questions", "sub_questions", "subquestions", "steps")
_PLACEHOLDER = re.compile(r"#\s*\d+")


def _listed(text: str | None, keys: tuple[str, ...]) -> list[Any]:
    if text is None or not text.strip():
        raise ReaderParseError("empty reply")
    for found in find_values(text):
        value = found.value
        if isinstance(value, dict):
            for key in keys:
                if isinstance(value.get(key), list):
                    return value[key]
        elif isinstance(value, list):
            return value
    raise ReaderParseError(f"no list under {keys[0]!r}")


def _folded(text: Any) -> str:
    return " ".join(str(text).lower().split())


def parse_kept_facts(text: str | None, candidates: Sequence[Triple]) -> list[int]:
    """0-based rows of the candidates kept, in candidate order, each once. [] is a valid reply."""
    by_text = {tuple(_folded(part) for part in fact): row for row, fact in enumerate(candidates)}
    kept: set[int] = set()
    for item in _listed(text, FACT_KEYS):
        if isinstance(item, bool):
            continue
        if isinstance(item, str) and item.strip().isdigit():
            item = int(item.strip())
        if isinstance(item, int):
            if 1 <= item <= len(candidates):
                kept.add(item - 1)
        elif isinstance(item, (list, tuple)) and len(item) == 3:
            row = by_text.get(tuple(_folded(part) for part in item))
            if row is not None:
                kept.add(row)
    return sorted(kept)


def parse_sub_questions(text: str | None) -> list[str]:
    """The simple questions in order; raises on an empty list (nothing to steer by)."""
    questions = [q.strip() for q in _listed(text, QUESTION_KEYS) if isinstance(q, str) and q.strip()]
    if not questions:
        raise ReaderParseError("no questions in the reply")
    return questions


def without_placeholders(question: str) -> str:
    """'Where was #1 born?' -> 'Where was born?': what is left to embed of a later step."""
    return " ".join(_PLACEHOLDER.sub(" ", question).split())
