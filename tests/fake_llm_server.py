"""A fake OpenAI-compatible chat server that stands in for the language model in tests.

No real LLM runs here. This server replays recorded answers: it speaks just enough of the
OpenAI chat-completions protocol (POST /v1/chat/completions) for the real `openai` client to
talk to it over HTTP on 127.0.0.1, and picks each answer from a fixture file under
tests/fixtures/llm/. A passage selects its fixture with a marker in its text, `fx:<name>`
(no marker: `good`). A fixture lists, per step ("ner", "triples", "question"), the turns to
play for repeated identical requests: the first request gets turn 0, a retry of the same
request turn 1, and so on, the last turn repeating. A turn is an answer
(`{"content": "..."}`), an HTTP error (`{"status": 429}`, optionally with `"headers"` such as
Retry-After), optionally after a delay (`"delay_s"`). The step is told from the system prompt, the way a reader would.

The QA reader's two prompts are steps too: "answer" (answer from numbered passages) and
"ircot" (one reasoning sentence at a time), and so are the query-time "filter" (keep the
facts that help) and "decompose" (single-fact steps); their fixtures are picked by a marker in
the question. A fixture with `"sequential": true` plays its turns in order for every request of a
step whatever the request says (an IRCoT chain, where each step's prompt differs), instead of
per repeated identical request.

It counts every request it receives, so tests can prove what was (not) asked again.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from hipporag_like.corpus import Passage

FIXTURES = Path(__file__).parent / "fixtures" / "llm"
_MARKER = re.compile(r"fx:([A-Za-z0-9_-]+)")
_HEADERS = "_headers"  # key of the extra HTTP headers an error turn sends


@dataclass(frozen=True)
class Received:
    step: str
    fixture: str
    user: str  # the last user message: holds the passage (or question)
    json_mode: bool  # the request asked for response_format json_object


def step_of(messages: list[dict[str, Any]]) -> str:
    """Which prompt this is, read from the system message."""
    system = " ".join(str(m.get("content", "")) for m in messages if m.get("role") == "system").lower()
    if "numbered passages" in system:  # the QA reader
        return "ircot" if "one step at a time" in system else "answer"
    if "numbered list of facts" in system:  # query time: the recognition-memory fact filter
        return "filter"
    if "simple questions" in system:  # query time: question decomposition
        return "decompose"
    if "triples" in system:
        return "triples"
    if "question" in system:
        return "question"
    return "ner"


@dataclass
class FakeLLMServer:
    """Start with `with FakeLLMServer() as server:`; point a client at `server.base_url`."""

    fixtures: Path = FIXTURES
    latency_s: float = 0.0  # added to every answer, to look like a model thinking
    reject_response_format: bool = False  # answer 400 when response_format is sent
    api_key: str | None = None  # when set, any other bearer token gets a 401
    hold_after: int | None = None  # requests past this number wait until `release()`
    received: list[Received] = field(default_factory=list, init=False)
    max_active: int = field(default=0, init=False)  # most requests handled at the same time
    _active: int = field(default=0, init=False)
    _turns: Counter = field(default_factory=Counter, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _gate: threading.Event = field(default_factory=threading.Event, init=False)
    _cache: dict[str, dict[str, Any]] = field(default_factory=dict, init=False)

    # -- lifecycle ------------------------------------------------------------------------------
    def __enter__(self) -> "FakeLLMServer":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, args=(0.05,), name="fake-llm", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._gate.set()
        self._http.shutdown()
        self._http.server_close()

    @property
    def base_url(self) -> str:
        host, port = self._http.server_address[:2]
        return f"http://{host}:{port}/v1"

    # -- what the tests read --------------------------------------------------------------------
    @property
    def calls(self) -> int:
        with self._lock:
            return len(self.received)

    def calls_for(self, step: str | None = None, fixture: str | None = None) -> int:
        with self._lock:
            return sum(1 for r in self.received if (step is None or r.step == step) and (fixture is None or r.fixture == fixture))

    def reset_counts(self) -> None:
        with self._lock:
            self.received.clear()
            self.max_active = 0

    def _enter(self) -> None:
        with self._lock:
            self._active += 1
            self.max_active = max(self.max_active, self._active)

    def _leave(self) -> None:
        with self._lock:
            self._active -= 1

    def release(self) -> None:
        """Let held requests (see `hold_after`) go on."""
        self._gate.set()

    # -- answering ------------------------------------------------------------------------------
    def _fixture(self, name: str) -> dict[str, Any]:
        with self._lock:
            if name not in self._cache:
                self._cache[name] = json.loads((self.fixtures / f"{name}.json").read_text(encoding="utf-8"))
            return self._cache[name]

    def respond(self, body: dict[str, Any], authorization: str | None) -> tuple[int, dict[str, Any], float]:
        """(status, JSON body, delay before answering) for one request."""
        messages = body.get("messages") or []
        user = next((str(m.get("content", "")) for m in reversed(messages) if m.get("role") == "user"), "")
        marker = _MARKER.search(user)
        name = marker.group(1) if marker else "good"
        step = step_of(messages)
        json_mode = "response_format" in body
        with self._lock:
            self.received.append(Received(step, name, user, json_mode))
            number = len(self.received)
        if self.hold_after is not None and number > self.hold_after:
            self._gate.wait(timeout=60)
        if self.api_key is not None and authorization != f"Bearer {self.api_key}":
            return 401, _error("invalid api key", "invalid_request_error"), 0.0
        if self.reject_response_format and json_mode:
            return 400, _error("response_format is not supported by this server", "invalid_request_error"), 0.0
        fixture = self._fixture(name)
        turns = fixture[step]
        played = (step, name) if fixture.get("sequential") else (step, user)
        with self._lock:
            seen = self._turns[played]
            self._turns[played] += 1
        turn = turns[min(seen, len(turns) - 1)]
        delay = float(turn.get("delay_s", 0.0)) + self.latency_s
        status = int(turn.get("status", 200))
        if status != 200:
            payload = _error(turn.get("message", f"fake error {status}"), "server_error")
            if turn.get("headers"):
                payload[_HEADERS] = dict(turn["headers"])  # sent as HTTP headers, not in the body
            return status, payload, delay
        content = turn["content"]
        prompt_tokens = sum(len(str(m.get("content", ""))) for m in messages) // 4
        return 200, _completion(body.get("model", "fake"), content, prompt_tokens, turn.get("finish_reason", "stop")), delay


def fixture_passage(fixture: str, number: int = 0) -> Passage:
    """A made-up passage whose answers come from `fixture` (distinct per `number`)."""
    return Passage.make(f"{fixture.replace('_', ' ').title()} {number}", f"Record {number} of the Vellmar archive. fx:{fixture}")


def _error(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def _completion(model: str, content: str, prompt_tokens: int, finish_reason: str) -> dict[str, Any]:
    completion_tokens = max(1, len(content) // 4)
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "total_tokens": prompt_tokens + completion_tokens},
    }


def _handler_for(server: FakeLLMServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body leave at once: no 40 ms delayed-ACK stall
        wbufsize = 1 << 16

        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send(404, _error(f"no route {self.path}", "not_found"))
                return
            try:
                body = json.loads(raw)
            except json.JSONDecodeError:
                self._send(400, _error("body is not JSON", "invalid_request_error"))
                return
            server._enter()
            try:
                status, payload, delay = server.respond(body, self.headers.get("Authorization"))
                if delay:
                    time.sleep(delay)
                self._send(status, payload)
            finally:
                server._leave()

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            headers = payload.pop(_HEADERS, {})
            data = json.dumps(payload).encode("utf-8")
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, str(value))
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout) or was killed

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return Handler


def main() -> None:
    """Serve in a process of its own (the benchmark does, so the server does not share our GIL):
    prints the base URL on one line, then serves until killed or until stdin closes."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(description="fake OpenAI-compatible model server (replays fixtures)")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    with FakeLLMServer(latency_s=args.latency_ms / 1000) as server:
        print(server.base_url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
