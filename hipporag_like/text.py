"""Pure text helpers shared by extraction, graph building and retrieval."""

from __future__ import annotations

import hashlib
import re

_NON_WORD = re.compile(r"[^0-9a-z\u00c0-\uffff ]+")
_SPACES = re.compile(r"\s+")
_LEADING_ARTICLE = re.compile(r"^(the|a|an) ")
# Invisible formatting characters: zero-width space/joiners, LRM/RLM, bidi embeddings and
# overrides, word joiner and bidi isolates, the BOM. They would make two phrases that look the
# same different keys, so they go (not even a space is left: they sit inside words).
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
# What must not reach a terminal from a corpus: escape sequences (CSI, OSC, other ESC x), then
# any C0/C1 control character but tab and newline, and the invisible characters above.
_ESCAPE_SEQUENCE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def normalize_phrase(phrase: str) -> str:
    """Lowercase, drop invisible characters, punctuation and a leading article, collapse
    spaces: a phrase node's key."""
    lowered = _NON_WORD.sub(" ", INVISIBLE.sub("", phrase).lower())
    return _LEADING_ARTICLE.sub("", _SPACES.sub(" ", lowered).strip())


def unicode_problem(text: str) -> str | None:
    """Why `text` is not valid Unicode (a lone surrogate, e.g. from a JSON "\\ud800" escape or a
    command-line byte that is not UTF-8), or None when it is."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"is not valid Unicode (unpaired surrogate at character {exc.start})"
    return None


def has_visible(text: str) -> bool:
    """Whether `text` holds a character one can see: NUL, other controls and zero-width marks
    alone (which str.strip() keeps) make an empty passage, not a real one."""
    return any(ch.isprintable() and not ch.isspace() for ch in text)


def printable(text: str) -> str:
    """`text` safe to print on a terminal: escape sequences and control characters removed
    (tab and newline kept). For human-readable output only; JSON output stays exact."""
    return _CONTROL.sub("", _ESCAPE_SEQUENCE.sub("", text))


def fact_text(subject: str, relation: str, obj: str) -> str:
    """The string a fact is embedded as."""
    return f"{subject} {relation} {obj}"


def stable_id(*parts: str) -> int:
    """A 63-bit id from the parts' hash: the vector point id of phrases and facts."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
