"""`answer` with the backend and cache a pipeline's [reader] table names (Index.answer, `ask`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..cache import KeyValueCache, default_cache_dir
from ..config import ReaderConfig
from ..llm.backend import ChatBackend
from .answer import answer
from .backends import make_reader_backend
from .result import Answer


def answer_with_config(index: Any, question: str, *, k: int, mode: str | None, steps: int, reader: ReaderConfig,
                       llm: ChatBackend | None = None, cache_dir: str | Path | None = None) -> Answer:
    """Build the reader backend (unless `llm` is given) and answer through the shared cache."""
    backend = llm if llm is not None else make_reader_backend(reader)
    cache = KeyValueCache(cache_dir or default_cache_dir())
    try:
        return answer(index, question, k, mode, llm=backend, cache=cache, steps=steps)
    finally:
        cache.close()
