"""What `answer()` returns: the answer, its checked citations, the passages and the reader used."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..results import RetrievalResult


@dataclass(frozen=True)
class Citation:
    n: int  # the passage's number in the reader's prompt (1-based), as in `passages`
    id: str
    title: str
    sentence: str | None = None  # the sentence the model says supports the answer, if it gave one

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"n": self.n, "id": self.id, "title": self.title}
        if self.sentence is not None:
            data["sentence"] = self.sentence
        return data


@dataclass(frozen=True)
class ReaderInfo:
    model: str
    cached: bool  # every LLM answer this took came from the cache (no call was made)
    backend: str = "openai"
    calls: int = 0  # answers received from the model (cache hits not counted)


@dataclass(frozen=True)
class Step:
    """One IRCoT step: the reasoning sentence and the passage ids retrieved for it."""

    thought: str
    retrieved: tuple[str, ...]


@dataclass(frozen=True)
class Answer:
    query: str
    answer: str | None  # None when refused or when the model's reply held no answer
    refused: bool  # the model said the passages do not hold the answer
    citations: tuple[Citation, ...]
    dropped_citations: int  # cited numbers that were not among the passages: dropped, not shown
    passages: RetrievalResult  # what the reader was given, in the numbered order
    reader: ReaderInfo
    error: str | None = None  # why there is no answer when the model was not understood
    steps: tuple[Step, ...] = ()  # IRCoT only

    def to_dict(self) -> dict[str, Any]:
        """The `ask --json` shape: query, answer, citations [{n, id, title}], passages, reader
        {model, cached}; plus refused, dropped_citations, mode, error and (IRCoT) steps."""
        data: dict[str, Any] = {
            "query": self.query,
            "answer": self.answer,
            "refused": self.refused,
            "citations": [c.to_dict() for c in self.citations],
            "dropped_citations": self.dropped_citations,
            "mode": self.passages.mode,
            "passages": self.passages.to_dict()["passages"],  # as in `query --json`
            "reader": asdict(self.reader),
            "error": self.error,
        }
        if self.steps:
            data["steps"] = [{"thought": s.thought, "retrieved": list(s.retrieved)} for s in self.steps]
        return data
