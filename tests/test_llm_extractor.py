"""The LLM extractor end to end: the real `openai` client against the fake model server.

What is checked is what a user pays for: which LLM calls are made, and that none is repeated.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fake_llm_server import FakeLLMServer, fixture_passage
from hipporag_like.cache import KeyValueCache
from hipporag_like.config import LLM_KINDS, ExtractorConfig, load_pipeline
from hipporag_like.corpus import Passage
from hipporag_like.errors import HippoError, MissingExtraError
from hipporag_like.extraction.base import CachedExtractor, Extraction, FailureLog
from hipporag_like.extraction.factory import make_extractor
from hipporag_like.extraction.llm_extractor import (
    BudgetExhausted,
    CacheKeys,
    LLMExtractor,
    estimate_for_config,
    quarantined_for_config,
)
from hipporag_like.llm import estimate as estimate_module
from hipporag_like.llm.openai_backend import OpenAIBackend
from hipporag_like.llm.prompts import PROMPT_VERSION
from hipporag_like.progress import QUIET

PIPELINES = Path(__file__).resolve().parents[1] / "pipelines"


@pytest.fixture()
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as fake:
        yield fake


@pytest.fixture(autouse=True)
def _no_tiktoken_download(monkeypatch: pytest.MonkeyPatch) -> None:
    """Estimates must not reach for the network: tiktoken's BPE file counts as missing."""
    monkeypatch.setattr(estimate_module, "_load_encoding", lambda name, wait_s: None)


def _extractor(server: FakeLLMServer, cache_dir: Path, **options: object) -> LLMExtractor:
    backend = OpenAIBackend(
        "fake-model", base_url=server.base_url, concurrency=4, timeout_s=0.5, max_retries=2, backoff_base_s=0.005, seed=1
    )
    return LLMExtractor(backend, KeyValueCache(cache_dir), **options)  # type: ignore[arg-type]


def _passages(*fixtures: str, each: int = 1) -> list[Passage]:
    return [fixture_passage(name, i) for name in fixtures for i in range(each)]


def _answer_keys(cache_dir: Path) -> set[str]:
    return set(KeyValueCache(cache_dir).keys_with_prefix("llm-answer\x1f"))


MIXED = ("good", "fenced", "single_quoted", "truncated", "bad_triples", "rate_limited", "server_error", "slow")


def test_a_run_completes_through_every_recoverable_answer(server: FakeLLMServer, tmp_path: Path) -> None:
    passages = _passages(*MIXED)
    extractor = _extractor(server, tmp_path)
    results = extractor.extract(passages, QUIET)
    by_fixture = dict(zip(MIXED, results))
    assert all(r.error is None for r in results)
    assert by_fixture["fenced"].triples == (("Amon Tolliver", "surveyed", "Kestrel Ridge"),)
    assert ("Ysolde Marrak", "founded", "Marrak's Ferry") in by_fixture["single_quoted"].triples
    assert len(by_fixture["truncated"].triples) == 2
    assert (len(by_fixture["bad_triples"].triples), by_fixture["bad_triples"].dropped_triples) == (1, 5)
    assert extractor.stats.requests == server.calls == 2 * len(MIXED) + 2 + 2 + 1  # 429s, 5xx, timeout retried
    assert extractor.stats.calls == 2 * len(MIXED)
    assert extractor.fingerprint == f"llm:openai:fake-model:prompt-{PROMPT_VERSION}"


def test_a_second_run_makes_zero_calls(server: FakeLLMServer, tmp_path: Path) -> None:
    passages = _passages("good", "fenced", "garbage", each=3)
    first = _extractor(server, tmp_path).extract(passages, QUIET)
    server.reset_counts()
    again = _extractor(server, tmp_path)
    assert again.extract(passages, QUIET) == first
    assert server.calls == 0
    assert again.stats.cache_hits == 2 * 6


def test_unusable_answers_are_quarantined_and_listed(server: FakeLLMServer, tmp_path: Path) -> None:
    passages = _passages("good", "garbage", "garbage_triples", "too_long")
    extractor = _extractor(server, tmp_path)
    extractor.extract(passages[:1], QUIET)  # a 400 counts against a passage once the server took others
    results = extractor.extract(passages, QUIET)
    assert results[0].error is None
    assert [r.error is not None for r in results] == [False, True, True, True]
    assert results[1].error == "quarantined (ner): unusable ner answer: no named_entities list found"
    assert server.calls_for("ner", "garbage") == 2  # asked twice, then quarantined
    assert server.calls_for("triples", "garbage") == 0
    records = {r.title: r for r in extractor.quarantined()}
    assert set(records) == {"Garbage 0", "Garbage Triples 0", "Too Long 0"}
    assert records["Garbage 0"].raw == "I'm sorry, but I can't help with that request."
    assert records["Garbage Triples 0"].step == "triples"
    assert records["Too Long 0"].raw is None and "maximum context length" in records["Too Long 0"].error
    assert extractor.stats.quarantined == 3
    # the CLI's view, without building a backend
    config = ExtractorConfig(kind="openai", model="fake-model")
    assert quarantined_for_config(config, KeyValueCache(tmp_path)) == extractor.quarantined()


def test_quarantined_passages_are_not_asked_again(server: FakeLLMServer, tmp_path: Path) -> None:
    passages = _passages("good", "garbage")
    _extractor(server, tmp_path).extract(passages, QUIET)
    server.reset_counts()
    results = _extractor(server, tmp_path).extract(passages, QUIET)
    assert server.calls == 0
    assert results[1].error is not None and results[1].error.startswith("quarantined (ner)")


def test_retry_failed_redoes_only_the_quarantined(server: FakeLLMServer, tmp_path: Path) -> None:
    passages = _passages("good", "flaky", "garbage_triples", "fenced")
    first = _extractor(server, tmp_path).extract(passages, QUIET)
    assert [r.error is None for r in first] == [True, False, False, True]
    server.reset_counts()
    retried = _extractor(server, tmp_path, retry_failed=True)
    results = retried.extract(passages, QUIET)
    assert server.calls_for(fixture="good") == server.calls_for(fixture="fenced") == 0
    assert server.calls_for("ner", "flaky") == 1 and server.calls_for("triples", "flaky") == 1  # third time lucky
    assert server.calls_for("ner", "garbage_triples") == 0  # its entities were fine and cached
    assert server.calls_for("triples", "garbage_triples") == 2
    assert results[1].error is None and results[1].entities == ("Marisol Fenwick", "Dunmere Abbey", "1788")
    assert [r.title for r in retried.quarantined()] == ["Garbage Triples 0"]


def test_transient_failures_are_not_quarantined(server: FakeLLMServer, tmp_path: Path) -> None:
    passages = _passages("good", "down")
    extractor = _extractor(server, tmp_path)
    results = extractor.extract(passages, QUIET)
    assert results[1].error == "ner: gave up after 3 attempts: HTTP 503: model is loading"
    assert extractor.quarantined() == [] and extractor.stats.failed == 1
    server.reset_counts()
    _extractor(server, tmp_path).extract(passages, QUIET)
    assert server.calls == server.calls_for("ner", "down") == 3  # retried next run, nothing else


def test_budget_stop_then_resume_without_repeating(server: FakeLLMServer, tmp_path: Path) -> None:
    passages = _passages("good", each=10)
    cache = KeyValueCache(tmp_path)
    stopped = CachedExtractor(LLMExtractor(_extractor(server, tmp_path).backend, cache, max_tokens_budget=1), cache, batch_size=4)
    with pytest.raises(BudgetExhausted, match="token budget of 1 reached"):
        stopped.extract(passages, QUIET)
    made = server.calls
    assert 1 <= made <= 4  # the requests in flight when the budget ran out
    assert len(_answer_keys(tmp_path)) == made  # every answer received is cached
    server.reset_counts()
    resumed = CachedExtractor(_extractor(server, tmp_path), cache)
    results = resumed.extract(passages, QUIET)
    assert all(r.error is None for r in results)
    assert server.calls == 2 * len(passages) - made


def test_budget_must_be_positive(server: FakeLLMServer, tmp_path: Path) -> None:
    with pytest.raises(HippoError, match="token budget must be positive"):
        _extractor(server, tmp_path, max_tokens_budget=0)


def test_estimate_makes_no_call_and_prices_tokens(server: FakeLLMServer, tmp_path: Path) -> None:
    passages = _passages("good", each=6)
    extractor = _extractor(server, tmp_path)
    estimate = extractor.estimate(passages, price_in_per_million=0.15, price_out_per_million=0.60)
    assert server.calls == 0
    assert (estimate.passages, estimate.already_done, estimate.requests) == (6, 0, 12)
    assert [s.requests for s in estimate.steps] == [6, 6]
    assert estimate.tokenizer == "chars/4"
    assert estimate.input_tokens > 6 * 200 and estimate.output_tokens > 0
    assert estimate.cost == pytest.approx((estimate.input_tokens * 0.15 + estimate.output_tokens * 0.60) / 1e6)
    assert any("cost" in line for line in estimate.lines())
    # after a partial run only what is left is counted
    extractor.extract(passages[:2], QUIET)
    server.reset_counts()
    config = ExtractorConfig(kind="openai", model="fake-model")
    left = estimate_for_config(passages, config, KeyValueCache(tmp_path))
    assert (left.already_done, left.requests, left.cost, server.calls) == (2, 8, None, 0)


def test_estimate_uses_tiktoken_when_it_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    class Words:
        def encode(self, text: str, disallowed_special: object = ()) -> list[str]:
            return text.split()

    monkeypatch.setattr(estimate_module, "_load_encoding", lambda name, wait_s: Words())
    result = estimate_module.estimate(_passages("good"), "gpt-4o-mini")
    assert result.tokenizer == "tiktoken:o200k_base"
    assert estimate_module.encoding_name("Qwen/Qwen2.5-7B-Instruct") == "cl100k_base"


def test_question_entities_are_cached(server: FakeLLMServer, tmp_path: Path) -> None:
    extractor = _extractor(server, tmp_path)
    assert extractor.question_entities("Who restored Dunmere Abbey?") == ["Dunmere Abbey"]
    assert extractor.question_entities("Who restored Dunmere Abbey?") == ["Dunmere Abbey"]
    assert server.calls == 1
    assert extractor.question_entities("What is this? fx:garbage") == []
    assert server.calls == 3


def test_factory_builds_llm_extractors(server: FakeLLMServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = ExtractorConfig(kind="openai", model="fake-model", base_url=server.base_url)
    extractor = make_extractor(config, cache=KeyValueCache(tmp_path), retry_failed=True, max_tokens_budget=10**6)
    assert isinstance(extractor, LLMExtractor)
    assert (extractor.retry_failed, extractor.max_tokens_budget) == (True, 10**6)
    assert CacheKeys.for_config(config) == extractor.keys
    assert extractor.extract(_passages("good"), QUIET)[0].error is None
    monkeypatch.setenv("HIPPORAG_LIKE_CACHE", str(tmp_path / "default"))
    assert isinstance(make_extractor(config), LLMExtractor)  # no cache given: the default folder
    with pytest.raises(HippoError, match=r"\[extractor\] model: required"):
        make_extractor(ExtractorConfig(kind="openai"))
    monkeypatch.setitem(__import__("sys").modules, "vllm", None)
    with pytest.raises(MissingExtraError, match="vllm"):
        make_extractor(ExtractorConfig(kind="vllm", model="Qwen/Qwen2.5-7B-Instruct"), cache=KeyValueCache(tmp_path))


@pytest.mark.parametrize("name", ["openai", "vllm-serve", "ollama", "vllm-inprocess"])
def test_llm_pipeline_files_load(name: str) -> None:
    config = load_pipeline(PIPELINES / f"{name}.toml").extractor
    assert config.kind in LLM_KINDS and config.model
    assert "hipporag-like index" in (PIPELINES / f"{name}.toml").read_text()


def test_failure_log_remembers_the_latest_failure_of_each_passage() -> None:
    class Flaky:
        fingerprint = "flaky"

        def __init__(self) -> None:
            self.failing = {"a", "b"}

        def extract(self, passages, progress):
            return [Extraction(p.id, (), (), error="timed out" if p.id in self.failing else None) for p in passages]

    inner = Flaky()
    log = FailureLog(inner)
    a, b = Passage("a", "A", "x"), Passage("b", "B", "y")
    log.extract([a, b], QUIET)
    assert log.failed == {"a": "timed out", "b": "timed out"} and log.fingerprint == "flaky"
    inner.failing = {"b"}
    log.extract([a, b], QUIET)
    assert log.failed == {"b": "timed out"}
    assert log.failing == {"b"}  # anything else is the wrapped extractor's
