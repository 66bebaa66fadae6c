"""IRCoT: interleave one sentence of reasoning from the reader with a retrieval for it.

As in HippoRAG's `retrieve_ircot` (the idea; this code is ours): retrieve for the question,
ask the model for the next reasoning sentence given the passages so far, retrieve again with
that sentence as the query, and repeat for up to `steps` sentences or until the model writes
"So the answer is: ...". The passages of every retrieval are merged into one ranking: a
passage's place is its best rank in any retrieval (ties: the earlier retrieval, then the
higher score), so each hop's best passages come before any retrieval's runners-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from ..cache import KeyValueCache
from ..llm.backend import ChatBackend
from ..results import RetrievalResult, RetrievedPassage
from .calls import CallLog, ReaderKeys, ask
from .parsing import parse_step
from .prompts import step_messages
from .result import Step


@dataclass(frozen=True)
class IrcotRun:
    passages: RetrievalResult  # the merged ranking, cut to k
    steps: tuple[Step, ...]
    answer: str | None  # the answer the reasoning reached, if it reached one
    error: str | None  # a step reply that could not be read ended the reasoning early


def merge_rankings(results: Sequence[RetrievalResult]) -> list[RetrievedPassage]:
    """Every passage once, by (best rank, first retrieval that found it there, -score)."""
    best: dict[str, tuple[tuple[int, int, float], RetrievedPassage]] = {}
    for step, result in enumerate(results):
        for rank, passage in enumerate(result.passages):
            place = (rank, step, -passage.score)
            if passage.id not in best or place < best[passage.id][0]:
                best[passage.id] = (place, passage)
    return [passage for _, passage in sorted(best.values(), key=lambda item: item[0])]


def ircot(index: Any, question: str, k: int, mode: str | None, steps: int, llm: ChatBackend,
          cache: KeyValueCache | None, log: CallLog) -> IrcotRun:
    """Up to `steps` reasoning sentences, each followed by a retrieval for it."""
    keys = ReaderKeys(llm.name, llm.model)
    first = index.retrieve(question, k=k, mode=mode)
    results, thoughts, done = [first], [], []
    answer = error = None
    for _ in range(steps):
        shown = merge_rankings(results)[:k]
        key = keys.key("step", question, [p.id for p in shown], thoughts)
        parsed, error = ask(llm, cache, key, step_messages(question, shown, thoughts), parse_step, log)
        if parsed is None:
            break
        if parsed.final:
            done.append(Step(parsed.sentence, ()))
            answer = parsed.answer
            break
        thoughts.append(parsed.sentence)
        found = index.retrieve(parsed.sentence, k=k, mode=mode)
        results.append(found)
        done.append(Step(parsed.sentence, tuple(p.id for p in found.passages)))
    merged = RetrievalResult(question, f"{first.mode}+ircot", tuple(merge_rankings(results)[:k]),
                             first.seed_phrases, first.facts)
    return IrcotRun(merged, tuple(done), answer, error)
