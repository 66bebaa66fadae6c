"""What the LLM extractor needs from a chat backend, and the records that pass between them.

A backend takes a batch of chat requests and yields one answer per request *as each arrives*,
so the extractor can store every answer before the next one comes in. It never raises for one
bad request: failures come back as answers with a status. It raises `LLMError` only when going
on is pointless (wrong key, unknown model, server unreachable).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator, Literal, Protocol, Sequence

from ..errors import HippoError

Status = Literal["ok", "failed", "rejected", "skipped"]


class LLMError(HippoError):
    """The LLM backend cannot serve this run at all (authentication, model name, unreachable)."""


@dataclass(frozen=True)
class ChatRequest:
    tag: str  # opaque to the backend; the caller's way to match answers to requests
    messages: tuple[dict[str, str], ...]
    schema: dict[str, Any]  # JSON schema of the expected answer, for guided decoding

    @property
    def estimated_input_tokens(self) -> int:
        """A cheap guess (4 characters a token, 4 tokens of overhead a message) for rate limits."""
        return sum(len(m["content"]) // 4 + 4 for m in self.messages)


@dataclass(frozen=True)
class ChatAnswer:
    tag: str
    status: Status
    text: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    # why it failed: "failed" = transient (retries ran out), "rejected" = the server refused this
    # request for good (e.g. a 400), "skipped" = never sent because the caller asked to stop
    error: str | None = None
    attempts: int = 1  # requests actually sent for this answer (retries included; 0 if skipped)

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens


StopSignal = Callable[[], bool]


class ChatBackend(Protocol):
    @property
    def name(self) -> str:
        """Backend family ("openai", "vllm"): part of the cache keys and the fingerprint."""
        ...

    @property
    def model(self) -> str: ...

    def complete(self, requests: Sequence[ChatRequest], stop: StopSignal) -> Iterator[ChatAnswer]:
        """One answer per request, in arrival order. Requests not yet sent when `stop()` turns
        true come back as "skipped" without a call."""
        ...


def never() -> bool:
    return False
