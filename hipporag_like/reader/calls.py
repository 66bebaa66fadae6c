"""One reader call: look in the cache, else ask the model (again once if the reply is unusable).

Answers are cached like extraction answers: the moment a usable reply arrives it is stored
under (backend, model, reader prompt version, kind, digest of the question, the passage ids
shown and any reasoning so far), so the same question over the same passages is never paid
for twice. An unusable reply is not stored.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Callable, Sequence, TypeVar

from ..cache import KeyValueCache
from ..llm.backend import ChatBackend, ChatRequest, LLMError, never
from .parsing import ReaderParseError
from .prompts import READER_PROMPT_VERSION, Message

T = TypeVar("T")
CACHE_PREFIX = "reader-answer"


@dataclass(frozen=True)
class ReaderKeys:
    backend: str
    model: str

    def key(self, kind: str, question: str, passage_ids: Sequence[str], thoughts: Sequence[str] = ()) -> str:
        """`kind` is "answer" or "step"; the digest covers everything else the prompt holds."""
        material = "\x1f".join([question, *passage_ids, "\x1e", *thoughts])
        digest = hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]
        return f"{CACHE_PREFIX}\x1f{self.backend}\x1f{self.model}\x1freader-prompt-{READER_PROMPT_VERSION}\x1f{kind}\x1f{digest}"


@dataclass
class CallLog:
    calls: int = 0  # replies received from the model (retries of an unusable reply included)
    cache_hits: int = 0


def ask(llm: ChatBackend, cache: KeyValueCache | None, key: str, messages: Sequence[Message],
        parse: Callable[[str | None], T], log: CallLog, attempts: int = 2) -> tuple[T | None, str | None]:
    """(parsed reply, None), or (None, why) when every reply was unusable or the request failed.
    Raises LLMError when the backend cannot serve at all (unreachable, bad key, unknown model)."""
    if cache is not None:
        raw = cache.get(key)
        if raw is not None:
            try:
                parsed = parse(_cached_text(raw))
                log.cache_hits += 1
                return parsed, None
            except ReaderParseError:
                pass  # stored by an older parser that accepted it: ask again
    request = ChatRequest("reader", tuple(messages), {})  # free text: no schema to enforce
    why = "no reply"
    for _ in range(attempts):
        reply = next(iter(llm.complete([request], never)), None)
        if reply is None:
            raise LLMError("the reader backend returned no reply")
        log.calls += 1
        if reply.status != "ok":
            return None, f"the reader request {reply.status}: {reply.error}"
        try:
            parsed = parse(reply.text)
        except ReaderParseError as exc:
            why = f"unusable reply from the reader: {exc}"
            continue
        if cache is not None:
            cache.put(key, json.dumps({"text": reply.text, "input_tokens": reply.input_tokens,
                                       "output_tokens": reply.output_tokens}, ensure_ascii=False))
        return parsed, None
    return None, why


def _cached_text(raw: str) -> str | None:
    try:
        return json.loads(raw).get("text")
    except (json.JSONDecodeError, AttributeError):
        return None
