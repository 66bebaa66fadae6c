"""Retrieve, then have the reader answer from the numbered passages, with checked citations."""

from __future__ import annotations

from typing import Any

from ..cache import KeyValueCache
from ..errors import HippoError
from ..llm.backend import ChatBackend
from .calls import CallLog, ReaderKeys, ask
from .ircot import ircot
from .parsing import parse_answer
from .prompts import answer_messages
from .result import Answer, Citation, ReaderInfo

MAX_STEPS = 20


def answer(index: Any, question: str, k: int = 5, mode: str | None = None, *, llm: ChatBackend,
           cache: KeyValueCache | None = None, steps: int = 0) -> Answer:
    """Answer `question` from the `k` passages `index.retrieve` finds (IRCoT when `steps` > 0).

    Cited numbers outside 1..len(passages) are dropped and counted. A refusal comes back with
    `refused=True` and no answer; a reply that cannot be read (twice) with `error` set."""
    if not question.strip():
        raise HippoError("the question is empty")
    if not 1 <= k <= 100:
        raise HippoError(f"k must be between 1 and 100, got {k}")
    if not 0 <= steps <= MAX_STEPS:
        raise HippoError(f"steps must be between 0 and {MAX_STEPS}, got {steps}")
    log = CallLog()
    chain = ()
    if steps:
        run = ircot(index, question, k, mode, steps, llm, cache, log)
        retrieved, chain = run.passages, run.steps
    else:
        retrieved = index.retrieve(question, k=k, mode=mode)
    shown = retrieved.passages
    key = ReaderKeys(llm.name, llm.model).key("answer", question, [p.id for p in shown])
    parsed, error = ask(llm, cache, key, answer_messages(question, shown),
                        lambda text: parse_answer(text, len(shown)), log)
    info = ReaderInfo(llm.model, cached=log.calls == 0, backend=llm.name, calls=log.calls)
    if parsed is None:
        return Answer(question, None, False, (), 0, retrieved, info, error=error, steps=chain)
    citations = tuple(Citation(c.n, shown[c.n - 1].id, shown[c.n - 1].title, c.sentence) for c in parsed.citations)
    return Answer(question, parsed.answer, parsed.refused, citations, parsed.dropped, retrieved, info, steps=chain)
