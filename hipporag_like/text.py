"""Pure text helpers shared by extraction, graph building and retrieval."""

from __future__ import annotations

import hashlib
import re

_NON_WORD = re.compile(r"[^0-9a-z\u00c0-\uffff ]+")
_SPACES = re.compile(r"\s+")
_LEADING_ARTICLE = re.compile(r"^(the|a|an) ")


def normalize_phrase(phrase: str) -> str:
    """Lowercase, drop punctuation and a leading article, collapse spaces: a phrase node's key."""
    lowered = _NON_WORD.sub(" ", phrase.lower())
    return _LEADING_ARTICLE.sub("", _SPACES.sub(" ", lowered).strip())


def fact_text(subject: str, relation: str, obj: str) -> str:
    """The string a fact is embedded as."""
    return f"{subject} {relation} {obj}"


def stable_id(*parts: str) -> int:
    """A 63-bit id from the parts' hash: the vector point id of phrases and facts."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
