"""The OpenAI-compatible backend against the fake server, over real HTTP with the real client.

Every test uses a tiny backoff base and short timeouts, so retries cost milliseconds.
"""

from __future__ import annotations

import random
import socket
import threading
import types
from collections.abc import Iterator

import pytest

from fake_llm_server import FakeLLMServer, fixture_passage
from hipporag_like.llm.backend import ChatAnswer, ChatRequest, LLMError, never
from hipporag_like.llm.openai_backend import OpenAIBackend, backoff_delay, resolve_api_key, retry_after_s
from hipporag_like.llm.prompts import NER_SCHEMA, ner_messages


@pytest.fixture()
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as fake:
        yield fake


def _backend(server: FakeLLMServer, **options: object) -> OpenAIBackend:
    settings: dict[str, object] = {"concurrency": 4, "timeout_s": 2.0, "max_retries": 3, "backoff_base_s": 0.005, "seed": 7}
    settings.update(options)
    return OpenAIBackend("fake-model", base_url=server.base_url, **settings)  # type: ignore[arg-type]


def _requests(fixture: str, count: int = 1) -> list[ChatRequest]:
    return [ChatRequest(f"{fixture}-{i}", tuple(ner_messages(fixture_passage(fixture, i).content)), NER_SCHEMA) for i in range(count)]


def _run(backend: OpenAIBackend, requests: list[ChatRequest]) -> dict[str, ChatAnswer]:
    return {a.tag: a for a in backend.complete(requests, never)}


def test_good_answers(server: FakeLLMServer) -> None:
    answers = _run(_backend(server), _requests("good", 5))
    assert server.calls == 5
    assert all(a.status == "ok" and a.attempts == 1 and a.input_tokens > 0 and a.output_tokens > 0 for a in answers.values())
    assert all(r.json_mode for r in server.received)


def test_429_then_success(server: FakeLLMServer) -> None:
    answers = _run(_backend(server), _requests("rate_limited", 3))
    assert server.calls == 6
    assert all(a.status == "ok" and a.attempts == 2 for a in answers.values())


def test_5xx_then_success(server: FakeLLMServer) -> None:
    [answer] = _run(_backend(server), _requests("server_error")).values()
    assert (answer.status, answer.attempts, server.calls) == ("ok", 3, 3)


def test_timeout_is_retried(server: FakeLLMServer) -> None:
    # The first turn answers after 3 s, the second at once: two requests and an answer on the
    # second attempt prove the client gave up on the first after its 0.4 s timeout.
    [answer] = _run(_backend(server, timeout_s=0.4), _requests("slow")).values()
    assert (answer.status, answer.attempts, server.calls) == ("ok", 2, 2)


def test_retries_run_out_into_a_failed_answer(server: FakeLLMServer) -> None:
    [answer] = _run(_backend(server, max_retries=2), _requests("down")).values()
    assert (answer.status, answer.attempts, server.calls) == ("failed", 3, 3)
    assert answer.error == "gave up after 3 attempts: HTTP 503: model is loading"


def test_response_format_rejected_once_then_remembered() -> None:
    with FakeLLMServer(reject_response_format=True) as server:
        backend = _backend(server, concurrency=1)
        answers = _run(backend, _requests("good", 3))
        assert all(a.status == "ok" for a in answers.values())
        assert backend.json_mode is False
        assert server.calls == 4  # one 400, then three plain requests
        assert [r.json_mode for r in server.received] == [True, False, False, False]


def test_other_400_is_rejected_without_forgetting_json_mode(server: FakeLLMServer) -> None:
    backend = _backend(server)
    _run(backend, _requests("good"))  # the server has accepted our requests before
    [answer] = _run(backend, _requests("too_long")).values()
    assert answer.status == "rejected" and "maximum context length" in (answer.error or "")
    assert server.calls == 3 and backend.json_mode is True


def test_400s_before_any_success_blame_the_settings_not_the_passage(server: FakeLLMServer) -> None:
    backend = _backend(server, concurrency=1)
    [answer] = _run(backend, _requests("too_long")).values()
    assert answer.status == "failed"  # not "rejected": nothing gets quarantined for it
    with pytest.raises(LLMError, match=r"rejected the first 8 requests without accepting one \(check extractor.model"):
        _run(backend, _requests("too_long", 20))
    assert server.calls == 2 * 8  # each tried with and without response_format; the rest never sent


def test_openai_host_gets_max_completion_tokens(server: FakeLLMServer) -> None:
    sent: dict[str, object] = {}
    backend = _backend(server)
    backend.base_url = "https://api.openai.com/v1"  # only the parameter choice looks at it
    backend._client = types.SimpleNamespace(  # type: ignore[assignment]
        chat=types.SimpleNamespace(completions=types.SimpleNamespace(create=lambda **kw: sent.update(kw)))
    )
    backend._create(_requests("good")[0], json_mode=True)
    assert sent["max_completion_tokens"] == 1024 and "max_tokens" not in sent


def test_concurrency_is_bounded() -> None:
    with FakeLLMServer(latency_s=0.1) as server:
        _run(_backend(server, concurrency=3), _requests("good", 9))
        assert server.calls == 9
        assert 2 <= server.max_active <= 3


def test_wrong_key_stops_the_run_without_showing_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-test-do-not-print-4242"
    monkeypatch.setenv("FAKE_LLM_KEY", secret)
    with FakeLLMServer(api_key="sk-the-right-one") as server:
        backend = _backend(server, api_key_env="FAKE_LLM_KEY", concurrency=1)
        with pytest.raises(LLMError, match=r"rejected the API key from \$FAKE_LLM_KEY") as caught:
            _run(backend, _requests("good", 5))
        assert secret not in str(caught.value) and secret not in repr(backend)
        assert server.calls == 1  # the other four were never sent


def test_the_right_key_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_LLM_KEY", "sk-the-right-one")
    with FakeLLMServer(api_key="sk-the-right-one") as server:
        [answer] = _run(_backend(server, api_key_env="FAKE_LLM_KEY"), _requests("good")).values()
        assert answer.status == "ok"


def test_unreachable_server_is_one_clear_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = OpenAIBackend("fake-model", base_url=f"http://127.0.0.1:{port}/v1", max_retries=1, backoff_base_s=0.001, timeout_s=1.0)
    with pytest.raises(LLMError, match=f"cannot reach the LLM server at http://127.0.0.1:{port}/v1"):
        _run(backend, _requests("good", 3))


def test_stop_signal_skips_unsent_requests(server: FakeLLMServer) -> None:
    answers = list(_backend(server, concurrency=1).complete(_requests("good", 4), lambda: server.calls >= 2))
    assert server.calls == 2
    assert sorted(a.status for a in answers) == ["ok", "ok", "skipped", "skipped"]
    assert all(a.attempts == 0 for a in answers if a.status == "skipped")


def test_api_key_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_SUCH_KEY_VAR", raising=False)
    with pytest.raises(LLMError, match="set the NO_SUCH_KEY_VAR environment variable"):
        resolve_api_key("NO_SUCH_KEY_VAR", None)
    assert resolve_api_key("NO_SUCH_KEY_VAR", "http://localhost:8000/v1") == "not-needed"
    monkeypatch.setenv("NO_SUCH_KEY_VAR", "sk-x")
    assert resolve_api_key("NO_SUCH_KEY_VAR", None) == "sk-x"


def test_backoff_grows_is_capped_and_jittered() -> None:
    rng = random.Random(3)
    delays = [backoff_delay(a, 1.0, 8.0, rng) for a in range(6)]
    for attempt, delay in enumerate(delays):
        full = min(8.0, 2.0**attempt)
        assert 0.5 * full <= delay < full


def test_retry_after_header() -> None:
    def exc(headers: dict[str, str]) -> Exception:
        error = Exception("429")
        error.response = types.SimpleNamespace(headers=headers)  # type: ignore[attr-defined]
        return error

    assert retry_after_s(exc({"retry-after": "2"}), cap_s=30) == 2.0
    assert retry_after_s(exc({"retry-after-ms": "250"}), cap_s=30) == 0.25
    assert retry_after_s(exc({"retry-after": "600"}), cap_s=30) is None  # too long: use backoff
    assert retry_after_s(exc({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}), cap_s=30) is None
    assert retry_after_s(Exception("no response"), cap_s=30) is None


class _Clock:
    """Stands in for the backend's waits: records each delay and returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def event(self) -> "threading.Event":
        clock = self

        class RecordingEvent(threading.Event):
            def wait(self, timeout: float | None = None) -> bool:
                if timeout is not None:
                    clock.waits.append(timeout)
                return self.is_set()

        return RecordingEvent()


@pytest.fixture()
def clock(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    import hipporag_like.llm.openai_backend as module

    fake = _Clock()
    monkeypatch.setattr(module, "threading", types.SimpleNamespace(Event=fake.event, Lock=threading.Lock))
    return fake


def test_retry_after_from_the_server_is_honoured(server: FakeLLMServer, clock: _Clock) -> None:
    [answer] = _run(_backend(server, backoff_base_s=5.0), _requests("retry_after")).values()
    assert (answer.status, answer.attempts, server.calls) == ("ok", 2, 2)
    assert clock.waits == [0.25]  # the server's retry-after-ms, not the 2.5-5 s backoff


def test_without_retry_after_the_backoff_grows(server: FakeLLMServer, clock: _Clock) -> None:
    [answer] = _run(_backend(server, backoff_base_s=1.0, max_retries=2), _requests("down")).values()
    assert (answer.status, server.calls) == ("failed", 3)
    assert len(clock.waits) == 2 and 0.5 <= clock.waits[0] < 1.0 and 1.0 <= clock.waits[1] < 2.0
