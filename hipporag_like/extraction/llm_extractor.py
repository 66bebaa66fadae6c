"""Entities and triples from an LLM, two calls per passage, every answer cached on arrival.

Paid-for answers must never be asked twice. Each usable answer is written to the shared cache
the moment it arrives, under (backend, model, prompt version, step, passage id), so a run
killed at any point resumes with only the calls still in flight lost, and a finished run
repeated makes no call at all.

A passage whose answer stays unusable after `parse_attempts` tries, or that the server refuses
for good, is quarantined: the raw answer and the reason are kept under their own key prefix,
the passage comes back as an `Extraction` with `error` set, and the run goes on. Later runs
skip quarantined passages unless `retry_failed=True`, which redoes only those. A transient
failure (retries on 429/5xx/timeouts ran out) is *not* quarantined: the next run tries again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from ..cache import KeyValueCache
from ..config import LLM_KINDS, ExtractorConfig
from ..corpus import Passage
from ..errors import HippoError
from ..llm.backend import ChatAnswer, ChatBackend, ChatRequest, LLMError, never
from ..llm.estimate import STEPS, ExtractionEstimate, estimate
from ..llm.parsing import ParsedTriples, ParseError, parse_entities, parse_triples
from ..llm.prompts import NER_SCHEMA, PROMPT_VERSION, TRIPLES_SCHEMA, ner_messages, question_messages, triples_messages
from ..progress import Bar, Progress
from .base import Extraction

RAW_KEEP_CHARS = 4000  # how much of an unusable answer the quarantine record keeps


class BudgetExhausted(HippoError):
    """The token budget is spent; every answer received is cached, so a rerun continues."""


@dataclass(frozen=True)
class CacheKeys:
    """Where answers live in the shared cache; the backend's name and model are part of it."""

    backend: str
    model: str

    @property
    def _scope(self) -> str:
        return f"{self.backend}\x1f{self.model}\x1fprompt-{PROMPT_VERSION}"

    def answer(self, step: str, passage_id: str) -> str:
        return f"llm-answer\x1f{self._scope}\x1f{step}\x1f{passage_id}"

    def question(self, question: str) -> str:
        digest = hashlib.sha256(question.encode("utf-8")).hexdigest()[:24]
        return f"llm-answer\x1f{self._scope}\x1fquestion\x1f{digest}"

    @property
    def quarantine_prefix(self) -> str:
        return f"llm-quarantine\x1f{self._scope}\x1f"

    def quarantine(self, passage_id: str) -> str:
        return self.quarantine_prefix + passage_id

    @classmethod
    def for_config(cls, config: ExtractorConfig) -> "CacheKeys":
        """Keys for a pipeline's LLM extractor, without building its backend (no model load)."""
        if config.kind not in LLM_KINDS:
            raise HippoError(f"[extractor] kind: '{config.kind}' is not an LLM extractor")
        return cls(config.kind, config.llm_model())


@dataclass(frozen=True)
class QuarantineRecord:
    passage_id: str
    title: str
    step: str
    error: str
    raw: str | None  # the model's answer (cut to RAW_KEEP_CHARS), None when there was none

    def to_dict(self) -> dict[str, str]:
        """What a run summary shows (the raw answer stays in the cache)."""
        return {"passage_id": self.passage_id, "title": self.title, "step": self.step, "error": self.error}

    def to_json(self) -> str:
        return json.dumps({**self.to_dict(), "raw": self.raw}, ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> "QuarantineRecord":
        data = json.loads(raw)
        return cls(data["passage_id"], data.get("title", ""), data["step"], data["error"], data.get("raw"))


@dataclass
class RunStats:
    """Counts over this extractor's lifetime, for the progress bar and the run summary."""

    calls: int = 0  # answers received from the backend (failed ones included)
    requests: int = 0  # requests the backend sent for them (retries included)
    cache_hits: int = 0  # step answers found in the cache
    input_tokens: int = 0
    output_tokens: int = 0
    failed: int = 0  # transient failures: retried automatically next run
    quarantined: int = 0  # quarantined in this run
    skipped: int = 0  # calls not made because the budget ran out

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def postfix(self) -> str:
        return f"cached={self.cache_hits} calls={self.calls} tokens={self.tokens:,} failed={self.failed + self.quarantined}"


@dataclass
class _Passage:
    """One passage's progress through the two steps."""

    passage: Passage
    entities: list[str] | None = None
    triples: ParsedTriples | None = None
    error: str | None = None
    was_quarantined: bool = False  # being retried (retry_failed): drop the record once answered

    def extraction(self) -> Extraction:
        if self.error is not None or self.entities is None or self.triples is None:
            return Extraction(self.passage.id, (), (), error=self.error or "not extracted")
        return Extraction(self.passage.id, tuple(self.entities), tuple(self.triples.triples), self.triples.dropped)


def _parse(step: str, text: str | None) -> Any:
    return parse_entities(text) if step == "ner" else parse_triples(text)


def _answer_json(answer: ChatAnswer) -> str:
    return json.dumps(
        {"text": answer.text, "input_tokens": answer.input_tokens, "output_tokens": answer.output_tokens},
        ensure_ascii=False,
    )


def _cached_text(raw: str) -> str | None:
    try:
        return json.loads(raw).get("text")
    except (json.JSONDecodeError, AttributeError):
        return None


@dataclass
class LLMExtractor:
    """Two-step LLM extraction (entities, then triples) over any `ChatBackend`."""

    backend: ChatBackend
    cache: KeyValueCache
    retry_failed: bool = False
    max_tokens_budget: int | None = None
    parse_attempts: int = 2  # asks per step before an unusable answer is quarantined
    stats: RunStats = field(default_factory=RunStats, init=False)
    keys: CacheKeys = field(init=False)

    def __post_init__(self) -> None:
        if self.max_tokens_budget is not None and self.max_tokens_budget <= 0:
            raise HippoError(f"the token budget must be positive, got {self.max_tokens_budget}")
        if self.parse_attempts < 1:
            raise HippoError(f"parse_attempts must be at least 1, got {self.parse_attempts}")
        self.keys = CacheKeys(self.backend.name, self.backend.model)

    @property
    def fingerprint(self) -> str:
        return f"llm:{self.backend.name}:{self.backend.model}:prompt-{PROMPT_VERSION}"

    # -- the run ------------------------------------------------------------------------------
    def extract(self, passages: Sequence[Passage], progress: Progress) -> list[Extraction]:
        states = {p.id: _Passage(p) for p in passages}
        active = self._hold_quarantined(states)
        self._load_answers(active)
        todo = sum(1 for s in active for v in (s.entities, s.triples) if v is None)
        skipped_before = self.stats.skipped
        with progress.bar("LLM calls", total=todo) as bar:
            bar.set_postfix_str(self.stats.postfix())
            self._run_step("ner", [s for s in active if s.entities is None], bar)
            self._run_step("triples", [s for s in active if s.entities is not None and s.triples is None and s.error is None], bar)
        if self.max_tokens_budget is not None and self.stats.skipped > skipped_before:
            raise BudgetExhausted(
                f"token budget of {self.max_tokens_budget:,} reached ({self.stats.tokens:,} tokens used); "
                "every answer received is cached: run again to continue"
            )
        return [states[p.id].extraction() for p in passages]

    def _hold_quarantined(self, states: dict[str, _Passage]) -> list[_Passage]:
        """Quarantined passages get their old error back (no call) unless we retry them."""
        found = self.cache.get_many(self.keys.quarantine(pid) for pid in states)
        active = []
        for pid, state in states.items():
            raw = found.get(self.keys.quarantine(pid))
            if raw is not None and not self.retry_failed:
                record = QuarantineRecord.from_json(raw)
                state.error = f"quarantined ({record.step}): {record.error}"
            else:
                state.was_quarantined = raw is not None
                active.append(state)
        return active

    def _load_answers(self, states: list[_Passage]) -> None:
        keys = [self.keys.answer(step, s.passage.id) for s in states for step in STEPS]
        found = self.cache.get_many(keys)
        for state in states:
            for step in STEPS:
                raw = found.get(self.keys.answer(step, state.passage.id))
                if raw is None or (step == "triples" and state.entities is None):
                    continue
                try:
                    parsed = _parse(step, _cached_text(raw))
                except ParseError:
                    continue  # cached by an older parser that accepted it: ask again
                self._store(state, step, parsed)
                self.stats.cache_hits += 1

    def _run_step(self, step: str, states: list[_Passage], bar: Bar) -> None:
        pending = states
        for attempt in range(self.parse_attempts):
            if not pending:
                return
            by_tag = {s.passage.id: s for s in pending}
            retry: list[_Passage] = []
            requests = [self._request(step, s) for s in pending]
            for answer in self.backend.complete(requests, self._budget_spent):
                state = by_tag[answer.tag]
                outcome = self._handle(step, state, answer, last_try=attempt + 1 == self.parse_attempts)
                if outcome == "again":
                    retry.append(state)
                elif outcome == "settled":
                    bar.update(1)
                bar.set_postfix_str(self.stats.postfix())
            pending = retry

    def _request(self, step: str, state: _Passage) -> ChatRequest:
        content = state.passage.content
        if step == "ner":
            return ChatRequest(state.passage.id, tuple(ner_messages(content)), NER_SCHEMA)
        return ChatRequest(state.passage.id, tuple(triples_messages(content, state.entities or [])), TRIPLES_SCHEMA)

    def _handle(self, step: str, state: _Passage, answer: ChatAnswer, last_try: bool) -> str:
        """Record one answer: "settled" (answered, quarantined or failed), "again" or "skipped"."""
        if answer.status == "skipped":
            self.stats.skipped += 1
            return "skipped"
        self.stats.calls += 1
        self.stats.requests += answer.attempts
        self.stats.input_tokens += answer.input_tokens
        self.stats.output_tokens += answer.output_tokens
        if answer.status == "failed":
            self.stats.failed += 1
            state.error = f"{step}: {answer.error}"
            return "settled"
        if answer.status == "rejected":
            self._quarantine(state, step, None, f"refused by the server: {answer.error}")
            return "settled"
        try:
            parsed = _parse(step, answer.text)
        except ParseError as exc:
            if not last_try:
                return "again"
            self._quarantine(state, step, answer.text, f"unusable {step} answer: {exc}")
            return "settled"
        self.cache.put(self.keys.answer(step, state.passage.id), _answer_json(answer))
        self._store(state, step, parsed)
        if state.was_quarantined:
            self.cache.delete_many([self.keys.quarantine(state.passage.id)])
            state.was_quarantined = False
        return "settled"

    def _store(self, state: _Passage, step: str, parsed: Any) -> None:
        if step == "ner":
            state.entities = parsed
        else:
            state.triples = parsed

    def _quarantine(self, state: _Passage, step: str, raw: str | None, error: str) -> None:
        record = QuarantineRecord(state.passage.id, state.passage.title, step, error, raw[:RAW_KEEP_CHARS] if raw else raw)
        self.cache.put(self.keys.quarantine(state.passage.id), record.to_json())
        self.stats.quarantined += 1
        state.error = f"quarantined ({step}): {error}"

    def _budget_spent(self) -> bool:
        return self.max_tokens_budget is not None and self.stats.tokens >= self.max_tokens_budget

    # -- around the run -----------------------------------------------------------------------
    def question_entities(self, question: str) -> list[str]:
        """Entities named in a question (cached like passage answers); [] if the answer is unusable.

        Raises LLMError when the backend cannot answer at all: a silent empty list would hide it.
        """
        key = self.keys.question(question)
        cached = self.cache.get(key)
        if cached is not None:
            try:
                return parse_entities(_cached_text(cached))
            except ParseError:
                pass
        request = ChatRequest("question", tuple(question_messages(question)), NER_SCHEMA)
        for _ in range(self.parse_attempts):
            answer = list(self.backend.complete([request], never))[0]
            if answer.status != "ok":
                raise LLMError(f"question entities: {answer.error}")
            try:
                entities = parse_entities(answer.text)
            except ParseError:
                continue
            self.cache.put(key, _answer_json(answer))
            return entities
        return []

    def answered_steps(self, passages: Iterable[Passage]) -> dict[str, set[str]]:
        """Steps that need no call per passage id: cached answers, or both when quarantined."""
        return answered_steps(self.cache, self.keys, passages, self.retry_failed)

    def estimate(
        self, passages: Sequence[Passage], price_in_per_million: float | None = None, price_out_per_million: float | None = None
    ) -> ExtractionEstimate:
        """Calls and tokens still to spend on `passages`; makes no LLM call."""
        return estimate(
            passages,
            self.backend.model,
            price_in_per_million=price_in_per_million,
            price_out_per_million=price_out_per_million,
            max_output_tokens=getattr(self.backend, "max_output_tokens", 1024),
            answered=self.answered_steps(passages),
        )

    def quarantined(self) -> list[QuarantineRecord]:
        return quarantined(self.cache, self.keys)


def answered_steps(cache: KeyValueCache, keys: CacheKeys, passages: Iterable[Passage], retry_failed: bool = False) -> dict[str, set[str]]:
    passages = list(passages)
    found = cache.get_many([keys.answer(step, p.id) for p in passages for step in STEPS])
    held = set() if retry_failed else set(cache.get_many([keys.quarantine(p.id) for p in passages]))
    done: dict[str, set[str]] = {}
    for p in passages:
        steps = set(STEPS) if keys.quarantine(p.id) in held else {s for s in STEPS if keys.answer(s, p.id) in found}
        if steps:
            done[p.id] = steps
    return done


def quarantined(cache: KeyValueCache, keys: CacheKeys) -> list[QuarantineRecord]:
    """Every passage quarantined for this backend, model and prompt version, sorted by title."""
    names = cache.keys_with_prefix(keys.quarantine_prefix)
    records = [QuarantineRecord.from_json(raw) for raw in cache.get_many(names).values()]
    return sorted(records, key=lambda r: (r.title, r.passage_id))


def estimate_for_config(
    passages: Sequence[Passage],
    config: ExtractorConfig,
    cache: KeyValueCache | None = None,
    *,
    price_in_per_million: float | None = None,
    price_out_per_million: float | None = None,
    retry_failed: bool = False,
) -> ExtractionEstimate:
    """The dry run: what extracting `passages` with this pipeline would still cost. No backend is
    built (no model load, no connection) and no call is made; with a cache, answered steps are free."""
    keys = CacheKeys.for_config(config)
    answered = answered_steps(cache, keys, passages, retry_failed) if cache is not None else {}
    return estimate(
        passages,
        keys.model,
        price_in_per_million=price_in_per_million,
        price_out_per_million=price_out_per_million,
        max_output_tokens=config.max_output_tokens,
        answered=answered,
    )


def quarantined_for_config(config: ExtractorConfig, cache: KeyValueCache) -> list[QuarantineRecord]:
    """The quarantine list for a pipeline's LLM extractor, without building its backend."""
    return quarantined(cache, CacheKeys.for_config(config))
