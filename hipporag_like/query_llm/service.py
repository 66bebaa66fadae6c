"""Which LLM answers at query time, and one cached call per question for each path.

The model is the pipeline's `[reader]` when it names one (the query-time LLM), else the LLM
that extracted the index. Nothing is built until the first question needs it, and every usable
reply is stored in the shared cache under (backend, model, prompt version, the question and,
for the filter, the candidate facts), so a question asked again costs no call.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from ..cache import KeyValueCache, default_cache_dir
from ..config import LLM_KINDS, PipelineConfig
from ..errors import HippoError
from ..reader.calls import CallLog, ReaderKeys, ask
from .parsing import parse_kept_facts, parse_sub_questions
from .prompts import QUERY_PROMPT_VERSION, Triple, decompose_messages, filter_messages

if TYPE_CHECKING:
    from ..llm.backend import ChatBackend


def uses_query_llm(config: PipelineConfig) -> bool:
    return config.retrieval.fact_filter == "llm" or config.retrieval.decompose == "llm"


def require_query_llm(config: PipelineConfig) -> None:
    """A one-line error naming what to set when an LLM path is on and no LLM is configured."""
    if uses_query_llm(config) and not config.reader.model and not (config.extractor.kind in LLM_KINDS and config.extractor.model):
        which = "fact_filter" if config.retrieval.fact_filter == "llm" else "decompose"
        raise HippoError(f'[retrieval] {which} = "llm" needs an LLM: set [reader] model and base_url '
                         "(or --llm-base-url and --llm-model), or build the index with an LLM extractor")


def _backend(config: PipelineConfig) -> "ChatBackend":
    if config.reader.model:
        from ..reader.backends import make_reader_backend

        return make_reader_backend(config.reader)
    from ..extraction.factory import llm_backend

    return llm_backend(config.extractor)


@dataclass
class QueryLLM:
    """The filter and the decomposition, over one backend and the shared answer cache."""

    make_backend: Callable[[], "ChatBackend"]  # called once, on first use
    cache_dir: Path | None = None
    log: CallLog = field(default_factory=CallLog)
    _backend: "ChatBackend | None" = field(default=None, init=False)
    _cache: KeyValueCache | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def _ready(self) -> tuple["ChatBackend", KeyValueCache]:
        with self._lock:
            if self._backend is None:
                self._backend = self.make_backend()
                self._cache = KeyValueCache(self.cache_dir or default_cache_dir())
            assert self._cache is not None
            return self._backend, self._cache

    def keep_facts(self, question: str, facts: Sequence[Triple]) -> list[int] | None:
        """Rows of `facts` the model keeps ([] when it keeps none); None if no usable reply."""
        if not facts:
            return []
        llm, cache = self._ready()
        key = ReaderKeys(llm.name, llm.model).key(f"fact-filter-{QUERY_PROMPT_VERSION}", question, ["\x1d".join(f) for f in facts])
        kept, _ = ask(llm, cache, key, filter_messages(question, facts), lambda text: parse_kept_facts(text, facts), self.log)
        return kept

    def sub_questions(self, question: str) -> list[str] | None:
        """The question split into single-fact questions, in order; None if no usable reply."""
        llm, cache = self._ready()
        key = ReaderKeys(llm.name, llm.model).key(f"decompose-{QUERY_PROMPT_VERSION}", question, [])
        questions, _ = ask(llm, cache, key, decompose_messages(question), parse_sub_questions, self.log)
        return questions

    def close(self) -> None:
        with self._lock:
            if self._cache is not None:
                self._cache.close()
                self._cache = None


def make_query_llm(config: PipelineConfig, cache_dir: str | Path | None = None) -> QueryLLM | None:
    """None unless `fact_filter` or `decompose` is "llm"; raises when no LLM is configured."""
    if not uses_query_llm(config):
        return None
    require_query_llm(config)
    return QueryLLM(lambda: _backend(config), Path(cache_dir) if cache_dir else None)
