"""Titles the question names: entity linking by exact title match, for the hybrid seeds.

Why: a multi-hop question almost always names its first entity by the title of that entity's
article ("the performer of Privilege", "Who directed Blind Harbour?"), and a comparison names
both ("Which came first, X or Y?"). The seed facts find such an entity only if one of its
facts happens to be among the question's nearest few. So every word span of the question (up
to 8 words, longest first, never overlapping) whose normalised form is some passage's title
phrase seeds that phrase with title_seed_weight x its specificity, the same scale as a fact's
seed. A title disambiguated by a parenthesis ("Privilege (Ivor Cutler album)") is also named
by its bare form ("the performer of Privilege"); a bare name shared by n titles gives each
1/n of the weight. Spans made only of stop words never count ("Who" is not The Who).
Measured in eval/TUNING.md.

Pure apart from the lookup it is given: no I/O.
"""

from __future__ import annotations

import re
from typing import Callable, Mapping, Sequence

import numpy as np

from .changes import phrase_point_id
from .text import normalize_phrase

MAX_WORDS = 8
_ARTICLES = frozenset(("the", "a", "an"))
_QUALIFIED = re.compile(r"^(.*?)\s*\([^()]*\)\s*$")  # "Name (qualifier)"
# Words that never name an entity in a question on their own (spans of only these are
# skipped): question words, auxiliaries, pronouns, articles, prepositions, conjunctions.
STOP_WORDS = frozenset(
    "who whom whose what which when where why how is are was were be been being am do does did done has have had "
    "can could would should will shall may might must he she it they we you i me him her his hers its their theirs "
    "them us our your my this that these those there here of in on at by for with from to into onto about as than "
    "then and or nor but not no so if the a an both either neither each all any some same other another".split()
)


def spans(question: str, max_words: int = MAX_WORDS) -> list[tuple[int, int, str]]:
    """(start, end, key) of every word span, longest first, then left to right. Keys are phrase
    keys: the question is normalised once, and a span that starts with an article is left out
    (phrase keys drop it, so the span without it stands for it). Spans of stop words only are
    left out too."""
    words = normalize_phrase(question).split()
    plain = [word not in STOP_WORDS for word in words]
    found = []
    for length in range(min(max_words, len(words)), 0, -1):
        for start in range(len(words) - length + 1):
            if words[start] not in _ARTICLES and any(plain[start : start + length]):
                found.append((start, start + length, " ".join(words[start : start + length])))
    return found


def bare_title(title: str) -> str | None:
    """The name a disambiguated title stands for: "Privilege (Ivor Cutler album)" -> "privilege"
    (normalised); None when the title has no trailing parenthesis."""
    match = _QUALIFIED.match(title)
    return (normalize_phrase(match.group(1)) or None) if match else None


def named_titles(question: str, rows_of: Callable[[np.ndarray], np.ndarray], is_title: np.ndarray,
                 readings: Mapping[str, Sequence[int]] = {}) -> list[tuple[int, float]]:
    """(title phrase row, share) for each title the question names. The longest spans come
    first and a word is used once. A span is a title phrase, or the bare name of disambiguated
    titles (`readings`: name -> their title phrase rows); a name with n readings gives each 1/n."""
    candidates = spans(question)
    if not candidates:
        return []
    rows = rows_of(np.array([phrase_point_id(key) for _, _, key in candidates], dtype=np.int64))
    used = np.zeros(max(end for _, end, _ in candidates), dtype=bool)
    named: dict[int, float] = {}
    for (start, end, key), row in zip(candidates, rows.tolist()):
        found = ([row] if row >= 0 and is_title[row] else []) + [r for r in readings.get(key, ()) if r != row]
        if found and not used[start:end].any():
            used[start:end] = True
            for reading in found:
                named[reading] = max(named.get(reading, 0.0), 1.0 / len(found))
    return list(named.items())


class PointRows:
    """point id -> phrase row, sorted once per opened version (a query costs a searchsorted)."""

    def __init__(self, points: np.ndarray) -> None:
        points = np.asarray(points, dtype=np.int64)
        self.order = np.argsort(points, kind="stable")
        self.sorted = points[self.order]

    def __call__(self, wanted: np.ndarray) -> np.ndarray:
        if len(self.sorted) == 0:
            return np.full(len(wanted), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.sorted, wanted), len(self.sorted) - 1)
        return np.where(self.sorted[at] == wanted, self.order[at], -1)
