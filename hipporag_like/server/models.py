"""Request and response bodies of the HTTP API, and its limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..config import MODES

Mode = Literal[MODES]  # type: ignore[valid-type]


@dataclass(frozen=True)
class Limits:
    """What one request may ask for; past these the answer is a 4xx naming the limit."""

    max_question_chars: int = 2000
    max_k: int = 100
    max_body_bytes: int = 1_000_000
    max_passages_per_insert: int = 100
    max_passage_chars: int = 50_000


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class QueryRequest(_Strict):
    query: str = Field(description="The question.", examples=["Who founded the publishing house that released The Salt Ledger?"])
    k: int = Field(5, description="How many passages (1..max_k).")
    mode: Mode | None = Field(None, description="Retrieval mode (default: the index's, normally hybrid).")


class AnswerRequest(QueryRequest):
    steps: int = Field(0, description="IRCoT reasoning steps (0: retrieve once).")


class PassageIn(_Strict):
    title: str = ""
    text: str


class InsertRequest(_Strict):
    passages: list[PassageIn]


class SeedOut(BaseModel):
    phrase: str
    weight: float


class FactOut(BaseModel):
    subject: str
    relation: str
    object: str
    score: float


class WhyOut(BaseModel):
    seed_phrases: list[SeedOut]
    facts: list[FactOut]
    dense_score: float | None = None
    named_by: list[str] = Field(default_factory=list, description="Titles of top passages that name this passage's title (the title hop).")


class PassageOut(BaseModel):
    id: str
    title: str
    text: str
    score: float
    why: WhyOut
    source: str | None = None
    span: list[int] | None = None
    metadata: dict[str, Any] | None = None


class QueryResponse(BaseModel):
    """As printed by `hipporag-like query --json`."""

    query: str
    mode: str
    passages: list[PassageOut]
    seed_phrases: list[SeedOut]
    facts: list[FactOut]
    notes: list[str] = Field(default_factory=list, description="What the LLM query paths did, or why they fell back.")


class ChangeResponse(BaseModel):
    version: str = Field(description="The committed version the next request reads.")
    changed: bool
    added: list[str] = Field(description="Ids of the passages added (content hashes).")
    removed: list[str]
    already_present: int
    counts: dict[str, Any]


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody
