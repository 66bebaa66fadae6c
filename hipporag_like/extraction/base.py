"""The extractor protocol and the cache wrapper every backend shares.

An extractor maps passages to `Extraction`s (entities + triples, raw strings as produced).
Normalisation into phrase nodes happens later, in the graph builder, so every backend stays
comparable and the cached output stays what the backend actually said.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Protocol, Sequence

from ..cache import KeyValueCache
from ..corpus import Passage
from ..progress import Progress

Triple = tuple[str, str, str]


@dataclass(frozen=True)
class Extraction:
    passage_id: str
    entities: tuple[str, ...]
    triples: tuple[Triple, ...]
    # Counted problems in the backend's answer (malformed triples and the like).
    dropped_triples: int = 0
    # Set when the backend gave up on this passage (quarantined): indexed without triples,
    # never cached as done, listed in the run's summary.
    error: str | None = None

    def to_json(self) -> str:
        return json.dumps(
            {"entities": list(self.entities), "triples": [list(t) for t in self.triples], "dropped_triples": self.dropped_triples},
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, passage_id: str, raw: str) -> "Extraction":
        data = json.loads(raw)
        return cls(
            passage_id=passage_id,
            entities=tuple(data["entities"]),
            triples=tuple(tuple(t) for t in data["triples"]),  # type: ignore[misc]
            dropped_triples=int(data.get("dropped_triples", 0)),
        )


class Extractor(Protocol):
    """What the index builder needs from an extraction backend."""

    @property
    def fingerprint(self) -> str:
        """Identifies backend, model and prompt/rule version: the cache key and the manifest entry."""
        ...

    def extract(self, passages: Sequence[Passage], progress: Progress) -> list[Extraction]:
        """One Extraction per passage, in order."""
        ...


def _readable(passage_id: str, raw: str | None) -> Extraction | None:
    """A cached extraction, or None when absent or damaged (a cache is a copy: redo the work)."""
    if raw is None:
        return None
    try:
        return Extraction.from_json(passage_id, raw)
    except (ValueError, TypeError, KeyError, AttributeError, IndexError):
        return None


@dataclass
class CachedExtractor:
    """Runs an extractor only on passages it has not seen, storing results batch by batch.

    A killed run resumes where it stopped: finished batches are already in the cache.
    """

    inner: Extractor
    cache: KeyValueCache
    batch_size: int = 64
    hits: int = field(default=0, init=False)
    failed: list[Extraction] = field(default_factory=list, init=False)

    @property
    def fingerprint(self) -> str:
        return self.inner.fingerprint

    def _key(self, passage: Passage) -> str:
        return f"extract\x1f{self.inner.fingerprint}\x1f{passage.id}"

    def extract(self, passages: Sequence[Passage], progress: Progress) -> list[Extraction]:
        found = self.cache.get_many([self._key(p) for p in passages])
        results: dict[str, Extraction] = {}
        todo: list[Passage] = []
        for passage in passages:
            cached = _readable(passage.id, found.get(self._key(passage)))
            if cached is None:  # not cached, or a damaged entry: extracted again
                todo.append(passage)
            else:
                results[passage.id] = cached
        self.hits = len(passages) - len(todo)
        with progress.bar("extracting", total=len(passages), initial=self.hits) as bar:
            for start in range(0, len(todo), self.batch_size):
                batch = todo[start : start + self.batch_size]
                extracted = self.inner.extract(batch, progress)
                self.cache.put_many({self._key(p): e.to_json() for p, e in zip(batch, extracted) if e.error is None})
                for passage, extraction in zip(batch, extracted):
                    results[passage.id] = extraction
                bar.update(len(batch))
        ordered = [results[p.id] for p in passages]
        self.failed = [e for e in ordered if e.error is not None]
        return ordered


@dataclass
class FailureLog:
    """Wraps an extractor and remembers which passages it could not extract, and why.

    `failed` maps passage id -> error of its latest extraction that failed; a later success
    removes the entry. It sees only passages the wrapped extractor is asked about (those not
    answered from a cache), which are exactly the ones that can still fail.
    """

    inner: Extractor
    failed: dict[str, str] = field(default_factory=dict, init=False)

    @property
    def fingerprint(self) -> str:
        return self.inner.fingerprint

    def extract(self, passages: Sequence[Passage], progress: Progress) -> list[Extraction]:
        extractions = self.inner.extract(passages, progress)
        for extraction in extractions:
            if extraction.error is None:
                self.failed.pop(extraction.passage_id, None)
            else:
                self.failed[extraction.passage_id] = extraction.error
        return extractions

    def __getattr__(self, name: str) -> object:  # question_entities, stats, ... of the inner one
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)
