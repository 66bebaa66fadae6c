"""Any OpenAI-compatible chat endpoint: OpenAI, `vllm serve`, Ollama, llama.cpp, TGI...

The `openai` client does the HTTP; everything around it is ours, so the counts are ours too:
its own retries are off (`max_retries=0`), and we retry 408/409/429/5xx, timeouts and
connection errors with exponential backoff and jitter. A thread pool of `concurrency` workers
keeps that many requests in flight, under optional requests- and tokens-per-minute limits.

The API key is read from the environment variable the pipeline names, handed to the client,
and never logged, stored or put in an error message; a base URL is shown only without the
credentials it may hold (`urls.redact_url`).
"""

from __future__ import annotations

import os
import random
import re
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any, Iterator, Literal, Sequence

from ..urls import redact_url
from .backend import ChatAnswer, ChatRequest, LLMError, StopSignal
from .ratelimit import RateLimiter

OPENAI_HOST = "api.openai.com"
# Refusals before the server has accepted any request point at our settings (model, parameters),
# not at a passage: they are not quarantined, and this many of them stop the run.
EARLY_REJECTIONS_FATAL = 8
_STATUS_PREFIX = re.compile(r"^Error code: \d+ - ")
_USER_INFO = re.compile(r"//[^/\s@]*@")
Kind = Literal["retry", "unreachable", "bad_request", "reject", "fatal"]


def classify(exc: BaseException) -> Kind:
    """How to react to an exception from the client (pure: looks only at its type and status)."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return "retry"
    if isinstance(exc, openai.APIConnectionError):
        return "unreachable"
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if status in (408, 409, 429) or status >= 500:
            return "retry"
        if status in (401, 403, 404):
            return "fatal"
        if status == 400:
            return "bad_request"
        return "reject"
    if isinstance(exc, openai.APIResponseValidationError):
        return "retry"
    if isinstance(exc, openai.APIError):
        return "retry"
    raise exc


def backoff_delay(attempt: int, base_s: float, cap_s: float, rng: random.Random) -> float:
    """Exponential backoff with jitter: base * 2^attempt, capped, times a factor in [0.5, 1)."""
    return min(cap_s, base_s * (2**attempt)) * (0.5 + 0.5 * rng.random())


def retry_after_s(exc: BaseException, cap_s: float) -> float | None:
    """The server's Retry-After hint in seconds, when it gave one we can honour."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            seconds = float(raw) * scale
        except ValueError:
            continue
        if 0 <= seconds <= cap_s:
            return seconds
    return None


def short_error(exc: BaseException) -> str:
    """One line naming the failure: status code and the start of the server's message."""
    status = getattr(exc, "status_code", None)
    message = _STATUS_PREFIX.sub("", " ".join(str(getattr(exc, "message", None) or exc).split()))
    message = _USER_INFO.sub("//", message)[:200]  # a URL quoted in the message keeps no password
    name = type(exc).__name__
    return f"HTTP {status}: {message}" if status else f"{name}: {message}"


def resolve_api_key(api_key_env: str, base_url: str | None) -> str:
    """The key from the environment; local servers accept any placeholder."""
    key = os.environ.get(api_key_env)
    if key:
        return key
    if base_url is None or OPENAI_HOST in base_url:
        raise LLMError(f"set the {api_key_env} environment variable to your API key (needed for {OPENAI_HOST})")
    return "not-needed"


class OpenAIBackend:
    """Chat completions over HTTP with bounded concurrency, rate limits and retries."""

    name = "openai"

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        concurrency: int = 8,
        timeout_s: float = 60.0,
        max_retries: int = 4,
        requests_per_minute: int | None = None,
        tokens_per_minute: int | None = None,
        temperature: float = 0.0,
        max_output_tokens: int = 1024,
        backoff_base_s: float = 1.0,
        backoff_cap_s: float = 30.0,
        json_mode: bool = True,
        seed: int | None = None,
    ) -> None:
        if concurrency < 1:
            raise LLMError(f"extractor.concurrency must be at least 1, got {concurrency}")
        from openai import OpenAI

        self._model = model
        self.base_url = base_url
        self.api_key_env = api_key_env  # the variable's name only, never its value
        self.concurrency = concurrency
        self.max_retries = max(0, max_retries)
        self.temperature = temperature
        self.max_output_tokens = max_output_tokens
        self.backoff_base_s = backoff_base_s
        self.backoff_cap_s = backoff_cap_s
        self.limiter = RateLimiter(requests_per_minute, tokens_per_minute)
        self._json_mode = json_mode  # turned off for good if the server rejects response_format
        self._accepted = False  # the server has answered one of our requests
        self._early_rejections = 0
        self._state_lock = threading.Lock()
        self._rng = random.Random(seed)
        self._rng_lock = threading.Lock()
        self._client = OpenAI(
            base_url=base_url,
            api_key=resolve_api_key(api_key_env, base_url),
            timeout=timeout_s,
            max_retries=0,
        )

    @property
    def model(self) -> str:
        return self._model

    @property
    def json_mode(self) -> bool:
        return self._json_mode

    def __repr__(self) -> str:
        return f"OpenAIBackend(model={self._model!r}, base_url={redact_url(self.base_url)!r})"

    def complete(self, requests: Sequence[ChatRequest], stop: StopSignal) -> Iterator[ChatAnswer]:
        abort = threading.Event()
        pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="llm")
        try:
            futures = [pool.submit(self._run_one, r, stop, abort) for r in requests]
            fatal: LLMError | None = None
            for future in as_completed(futures):
                try:
                    yield future.result()
                except LLMError as exc:
                    abort.set()  # requests not yet sent come back "skipped"
                    fatal = fatal or exc
            if fatal is not None:
                raise fatal
        finally:
            abort.set()  # normally all done; if our caller gave up, do not wait for requests in flight
            pool.shutdown(wait=False, cancel_futures=True)

    # -- one request -------------------------------------------------------------------------
    def _run_one(self, request: ChatRequest, stop: StopSignal, abort: threading.Event) -> ChatAnswer:
        if abort.is_set() or stop():
            return ChatAnswer(request.tag, "skipped", error="not sent: the run was stopped", attempts=0)
        try:
            return self._call(request, abort)
        except LLMError:
            abort.set()  # before this worker takes the next request
            raise

    def _call(self, request: ChatRequest, abort: threading.Event) -> ChatAnswer:
        attempt = 0  # retries used
        sent = 0  # HTTP requests made, the JSON-mode fallback included
        json_mode = self._json_mode
        while True:
            estimated = request.estimated_input_tokens
            self.limiter.acquire(estimated)
            sent += 1
            try:
                response = self._create(request, json_mode)
            except Exception as exc:  # the client's errors; anything else is re-raised by classify
                kind = classify(exc)
                if kind == "bad_request" and json_mode:
                    json_mode = False  # retry once without response_format
                    continue
                if kind in ("retry", "unreachable") and attempt < self.max_retries:
                    delay = retry_after_s(exc, self.backoff_cap_s)
                    if delay is None:
                        with self._rng_lock:
                            delay = backoff_delay(attempt, self.backoff_base_s, self.backoff_cap_s, self._rng)
                    attempt += 1
                    if abort.wait(delay):
                        return ChatAnswer(request.tag, "failed", error=f"stopped while retrying after {short_error(exc)}", attempts=sent)
                    continue
                if kind == "unreachable":
                    raise LLMError(f"cannot reach the LLM server at {self._where()}: {short_error(exc)}") from None
                if kind == "fatal":
                    raise LLMError(self._fatal_message(exc)) from None
                if kind == "retry":
                    return ChatAnswer(request.tag, "failed", error=f"gave up after {attempt + 1} attempts: {short_error(exc)}", attempts=sent)
                return self._rejected(request, exc, sent)
            with self._state_lock:
                self._accepted = True
                if not json_mode:
                    self._json_mode = False  # the server took the request only without it
            answer = _answer(request, response, sent)
            self.limiter.settle(estimated, answer.tokens)
            return answer

    def _rejected(self, request: ChatRequest, exc: BaseException, sent: int) -> ChatAnswer:
        """A 4xx for this request: the passage's fault once the server has accepted others."""
        with self._state_lock:
            accepted = self._accepted
            if not accepted:
                self._early_rejections += 1
            early = self._early_rejections
        if accepted:
            return ChatAnswer(request.tag, "rejected", error=short_error(exc), attempts=sent)
        if early >= EARLY_REJECTIONS_FATAL:
            raise LLMError(
                f"the LLM server at {self._where()} rejected the first {early} requests without accepting one "
                f"(check extractor.model and its settings): {short_error(exc)}"
            )
        return ChatAnswer(request.tag, "failed", error=f"rejected before any request was accepted: {short_error(exc)}", attempts=sent)

    def _create(self, request: ChatRequest, json_mode: bool) -> Any:
        options: dict[str, Any] = {}
        if json_mode:
            options["response_format"] = {"type": "json_object"}
        # OpenAI's newer models refuse max_tokens; other servers may not know its successor
        limit = "max_completion_tokens" if OPENAI_HOST in self._where() else "max_tokens"
        options[limit] = self.max_output_tokens
        return self._client.chat.completions.create(
            model=self._model,
            messages=list(request.messages),  # type: ignore[arg-type]
            temperature=self.temperature,
            **options,
        )

    def _where(self) -> str:
        """The server, as it may be shown: no credentials from the URL."""
        return redact_url(self.base_url) or OPENAI_HOST

    def _fatal_message(self, exc: BaseException) -> str:
        status = getattr(exc, "status_code", None)
        if status == 401:
            why = f"rejected the API key from ${self.api_key_env}"
        elif status == 404:
            why = f"has no model '{self._model}' (or no chat endpoint at that URL)"
        else:
            why = "denied access"
        return f"the LLM server at {self._where()} {why}: {short_error(exc)}"


def _answer(request: ChatRequest, response: Any, sent: int) -> ChatAnswer:
    choices = getattr(response, "choices", None) or []
    text = choices[0].message.content if choices else None
    usage = getattr(response, "usage", None)
    if usage is not None and usage.prompt_tokens is not None:
        input_tokens, output_tokens = int(usage.prompt_tokens), int(usage.completion_tokens or 0)
    else:
        input_tokens, output_tokens = request.estimated_input_tokens, len(text or "") // 4
    return ChatAnswer(request.tag, "ok", text=text, input_tokens=input_tokens, output_tokens=output_tokens, attempts=sent)
