"""Result types returned by retrieval: what was found and why."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class SeedPhrase:
    """A phrase node the walk restarted from, with its reset weight."""

    phrase: str
    weight: float


@dataclass(frozen=True)
class FactHit:
    """A fact matched to the question, with its similarity."""

    subject: str
    relation: str
    object: str
    score: float


@dataclass(frozen=True)
class Why:
    """The evidence behind one passage: seeds and facts it holds, and its own dense score."""

    seed_phrases: tuple[SeedPhrase, ...] = ()
    facts: tuple[FactHit, ...] = ()
    dense_score: float | None = None
    # titles of the walk's best passages that name this passage's own title (the title hop)
    named_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class RetrievedPassage:
    id: str
    title: str
    text: str
    score: float
    why: Why
    # provenance, when the passage was read from a document (None otherwise): the file or
    # corpus it came from, its character span in the document's text, and its metadata
    source: str | None = None
    span: tuple[int, int] | None = None
    metadata: dict[str, Any] | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """As in `query --json`: the provenance keys only when set."""
        data = asdict(self)
        for key in ("source", "span", "metadata"):
            if data[key] is None:
                del data[key]
        return data


@dataclass(frozen=True)
class RetrievalResult:
    query: str
    mode: str
    passages: tuple[RetrievedPassage, ...]
    seed_phrases: tuple[SeedPhrase, ...] = ()
    facts: tuple[FactHit, ...] = ()
    notes: tuple[str, ...] = ()  # what the LLM paths did, or why they fell back (query_llm/)

    def to_dict(self) -> dict[str, Any]:
        """As in `query --json`; "notes" only when there are any."""
        data = {
            "query": self.query,
            "mode": self.mode,
            "passages": [p.to_dict() for p in self.passages],
            "seed_phrases": [asdict(s) for s in self.seed_phrases],
            "facts": [asdict(f) for f in self.facts],
        }
        if self.notes:
            data["notes"] = list(self.notes)
        return data
