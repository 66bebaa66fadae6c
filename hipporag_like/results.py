"""Result types returned by retrieval: what was found and why."""

from __future__ import annotations

from dataclasses import asdict, dataclass
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


@dataclass(frozen=True)
class RetrievedPassage:
    id: str
    title: str
    text: str
    score: float
    why: Why


@dataclass(frozen=True)
class RetrievalResult:
    query: str
    mode: str
    passages: tuple[RetrievedPassage, ...]
    seed_phrases: tuple[SeedPhrase, ...] = ()
    facts: tuple[FactHit, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "mode": self.mode,
            "passages": [asdict(p) for p in self.passages],
            "seed_phrases": [asdict(s) for s in self.seed_phrases],
            "facts": [asdict(f) for f in self.facts],
        }
