"""The QA reader: prompts, the reply parser, IRCoT's merged ranking, and answers end to end.

No language model runs in these tests. The end-to-end tests talk to tests/fake_llm_server.py,
a loopback OpenAI-compatible server that replays answers recorded in tests/fixtures/llm/
(reader_*.json): the real `openai` client sends real HTTP requests, and what comes back is a
fixture picked by the `fx:<name>` marker in the question. So these tests check our prompts'
plumbing, parsing, citation checks, caching, retries and IRCoT loop; they say nothing about
how well any real model answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import SHOWCASE
from fake_llm_server import FakeLLMServer, step_of
from hipporag_like.cache import KeyValueCache
from hipporag_like.config import PipelineConfig, ReaderConfig
from hipporag_like.errors import InputError
from hipporag_like.llm.openai_backend import OpenAIBackend
from hipporag_like.llm.vllm_backend import structured_output_options
from hipporag_like.reader import READER_PROMPT_VERSION, NoReaderError, answer, reader_from_flags
from hipporag_like.reader.calls import ReaderKeys
from hipporag_like.reader.ircot import merge_rankings
from hipporag_like.reader.parsing import ReaderParseError, is_refusal, parse_answer, parse_step
from hipporag_like.reader.prompts import FINAL_MARK, answer_messages, step_messages
from hipporag_like.results import RetrievalResult, RetrievedPassage, Why

# -- the parser (pure) ---------------------------------------------------------------------------


def test_answer_with_reasoning_sources_and_sentences() -> None:
    reply = (
        "Reasoning: The window's panes came from the works [2], founded by Ilse Varnholt [1].\n"
        "**Answer:** Ilse Varnholt.\n"
        "Sources:\n"
        "[2] Its panes were made by Marrowby Glass Works.\n"
        '- [1] "It was founded in 1884 by the chemist Ilse Varnholt."\n'
    )
    parsed = parse_answer(reply, 3)
    assert parsed.answer == "Ilse Varnholt" and not parsed.refused and parsed.dropped == 0
    assert [(c.n, c.sentence) for c in parsed.citations] == [
        (2, "Its panes were made by Marrowby Glass Works."),
        (1, "It was founded in 1884 by the chemist Ilse Varnholt."),
    ]


def test_citations_out_of_range_are_dropped_and_counted_once_each() -> None:
    parsed = parse_answer("Answer: Essendry [3][7] [0, 2]\nSources:\n[7] made up\n[7] again\n[3] Essendry is a town.", 3)
    assert parsed.answer == "Essendry"  # the numbers are not part of the answer
    assert [c.n for c in parsed.citations] == [3, 2]
    assert parsed.citations[0].sentence == "Essendry is a town." and parsed.citations[1].sentence is None
    assert parsed.dropped == 2  # 7 and 0


@pytest.mark.parametrize("reply", [
    "Answer: cannot answer from these passages",
    "Reasoning: nothing here.\nAnswer: The passages do not say.",
    "Answer: unknown",
    "I cannot answer this question from the passages given.",
    "There is not enough information in the passages.",
])
def test_refusals_give_no_answer_and_no_sources(reply: str) -> None:
    parsed = parse_answer(reply + "\nSources:\n[1] something", 2)
    assert parsed.refused and parsed.answer is None and parsed.citations == () and parsed.dropped == 0


@pytest.mark.parametrize("reply, why", [
    ("", "empty"),
    ("```\n```", "empty"),
    ("Tamsin Arlow, probably.", 'no "Answer:" line'),
    ('{"answer": "Tamsin Arlow"}', 'no "Answer:" line'),
    ("Answer:   \nSources:\n[1] x", "line is empty"),
])
def test_malformed_replies_are_errors_never_answers(reply: str, why: str) -> None:
    with pytest.raises(ReaderParseError, match=why):
        parse_answer(reply, 3)


def test_the_first_answer_line_wins_and_abbreviations_keep_their_point() -> None:
    assert parse_answer("Answer: Washington, D.C.\nAnswer: Boston", 1).answer == "Washington, D.C."
    assert parse_answer("answer : 1884.", 1).answer == "1884"
    assert not is_refusal("Canterbury") and is_refusal("cannot be determined")


def test_step_replies() -> None:
    assert parse_step("The panes were made by Marrowby Glass Works [2]. It was 1902.") == parse_step(
        "Thought: The panes were made by Marrowby Glass Works [2].")
    step = parse_step("The panes were made by Marrowby Glass Works [2]. It was 1902.")
    assert step.sentence == "The panes were made by Marrowby Glass Works [2]." and step.answer is None and not step.final
    final = parse_step("So the answer is: Ilse Varnholt [1].")
    assert final.final and final.answer == "Ilse Varnholt"
    refused = parse_step("so the answer is: cannot answer from these passages")
    assert refused.final and refused.answer is None
    with pytest.raises(ReaderParseError):
        parse_step("  \n ")
    with pytest.raises(ReaderParseError):
        parse_step("So the answer is:")


# -- prompts, keys, config ----------------------------------------------------------------------


def _hit(pid: str, score: float = 1.0, title: str | None = None) -> RetrievedPassage:
    return RetrievedPassage(pid, title or f"Title {pid}", f"Text of {pid}.", score, Why())


def test_prompts_are_one_shot_and_their_examples_parse() -> None:
    passages = [_hit("a"), _hit("b")]
    messages = answer_messages("Who built it?", passages)
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[-1]["content"].startswith("Passages:\n[1] Title a\nText of a.\n\n[2] Title b")
    assert messages[-1]["content"].endswith("Question: Who built it?")
    example = parse_answer(messages[2]["content"], 3)
    assert example.answer == "Ilse Varnholt" and [c.n for c in example.citations] == [2, 1]
    steps = step_messages("Who built it?", passages, ["It was built by X [1]."])
    assert steps[-1]["content"].endswith("Reasoning so far:\n- It was built by X [1].\n\nNext sentence:")
    assert parse_step(steps[4]["content"]).answer == "Ilse Varnholt" and FINAL_MARK in steps[0]["content"]
    assert (step_of(messages), step_of(steps)) == ("answer", "ircot")  # how the fixture server tells them apart


def test_cache_keys_cover_backend_model_prompt_question_passages_and_reasoning() -> None:
    keys = ReaderKeys("openai", "m")
    key = keys.key("answer", "q", ["a", "b"])
    assert f"reader-prompt-{READER_PROMPT_VERSION}" in key and "\x1fopenai\x1fm\x1f" in key
    others = {keys.key("answer", "q", ["b", "a"]), keys.key("answer", "q2", ["a", "b"]), keys.key("step", "q", ["a", "b"]),
              keys.key("answer", "q", ["a", "b"], ["t"]), ReaderKeys("vllm", "m").key("answer", "q", ["a", "b"]),
              ReaderKeys("openai", "m2").key("answer", "q", ["a", "b"])}
    assert key not in others and len(others) == 6


def test_reader_table_in_pipelines(tmp_path: Path) -> None:
    config = PipelineConfig.from_dict({"reader": {"kind": "vllm", "model": "Qwen/Qwen2.5-7B-Instruct", "k": 8, "temperature": 0.2}})
    assert config.reader == ReaderConfig(kind="vllm", model="Qwen/Qwen2.5-7B-Instruct", k=8, temperature=0.2)
    assert PipelineConfig().reader.model is None and PipelineConfig().reader.k == 5
    for bad, message in [({"kind": "spacy"}, "not one of openai, vllm"), ({"k": 0}, "must be positive"),
                         ({"k": 101}, "over the limit"), ({"colour": 1}, "unknown key 'colour'")]:
        with pytest.raises(InputError, match=message):
            PipelineConfig.from_dict({"reader": bad}, "p.toml")
    redacted = PipelineConfig.from_dict({"reader": {"base_url": "http://u:secret@host:8000/v1"}}).to_dict()
    assert "secret" not in str(redacted["reader"])
    flagged = reader_from_flags(ReaderConfig(kind="vllm", model="a"), "http://localhost:11434/v1", "llama3.1:8b")
    assert (flagged.kind, flagged.base_url, flagged.model) == ("openai", "http://localhost:11434/v1", "llama3.1:8b")


def test_free_text_requests_get_no_guided_decoding() -> None:
    assert structured_output_options(object(), {}) == {}


def test_merged_ranking_puts_each_hops_best_first() -> None:
    first = RetrievalResult("q", "hybrid", (_hit("a", 0.9), _hit("b", 0.8), _hit("c", 0.7)))
    second = RetrievalResult("t1", "hybrid", (_hit("d", 0.5), _hit("a", 0.4), _hit("e", 0.3)))
    third = RetrievalResult("t2", "hybrid", (_hit("b", 0.95), _hit("f", 0.2)))
    merged = merge_rankings([first, second, third])
    # rank 0: a (step 0), d (step 1), b (step 2); rank 1: f (step 2 only); rank 2: c, e
    assert [p.id for p in merged] == ["a", "d", "b", "f", "c", "e"]
    assert merged[2].score == 0.95  # the copy from the retrieval where it ranked best


# -- against the fixture server -------------------------------------------------------------------


@pytest.fixture()
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as fake:
        yield fake


def _llm(server: FakeLLMServer) -> OpenAIBackend:
    return OpenAIBackend("stand-in", base_url=server.base_url, concurrency=1, timeout_s=5, max_retries=2,
                         backoff_base_s=0.001, json_mode=False, seed=1)


class SpyIndex:
    """The demo index, recording each retrieval's query."""

    def __init__(self, index) -> None:  # type: ignore[no-untyped-def]
        self.index, self.queries = index, []

    def retrieve(self, question: str, k: int = 5, mode: str | None = None) -> RetrievalResult:
        self.queries.append(question)
        return self.index.retrieve(question, k=k, mode=mode)


def test_a_cited_answer_is_cached(server: FakeLLMServer, demo_index, tmp_path: Path) -> None:
    question = f"{SHOWCASE} fx:reader_cited"
    cache = KeyValueCache(tmp_path)
    result = answer(demo_index, question, 5, llm=_llm(server), cache=cache)
    shown = demo_index.retrieve(question, k=5).passages
    assert result.answer == "Tamsin Arlow" and not result.refused and result.error is None
    assert [(c.n, c.id, c.title) for c in result.citations] == [(1, shown[0].id, shown[0].title), (2, shown[1].id, shown[1].title)]
    assert result.citations[1].sentence.startswith("It was founded in 1962 by the bookseller Tamsin Arlow")
    assert [p.id for p in result.passages.passages] == [p.id for p in shown]
    assert (result.reader.model, result.reader.cached, result.reader.calls) == ("stand-in", False, 1)
    assert server.calls_for("answer") == 1 and not server.received[0].json_mode  # free text, no response_format
    again = answer(demo_index, question, 5, llm=_llm(server), cache=cache)
    assert again.reader.cached and again.answer == "Tamsin Arlow" and server.calls == 1


def test_a_refusal_is_reported_as_such(server: FakeLLMServer, demo_index) -> None:
    result = answer(demo_index, "On which river is the Lanternfall Festival town? fx:reader_refusal", 5, llm=_llm(server))
    assert result.refused and result.answer is None and result.citations == () and result.error is None
    assert result.to_dict()["answer"] is None and result.to_dict()["refused"] is True


def test_a_citation_out_of_range_is_never_a_source(server: FakeLLMServer, demo_index) -> None:
    result = answer(demo_index, f"{SHOWCASE} fx:reader_out_of_range", 3, llm=_llm(server))
    assert result.answer == "Tamsin Arlow"
    assert [c.n for c in result.citations] == [2] and result.citations[0].id == result.passages.passages[1].id
    assert result.dropped_citations == 2  # [9] and [0] with three passages shown
    assert [c["n"] for c in result.to_dict()["citations"]] == [2]


def test_malformed_output_is_asked_again_then_reported_not_invented(server: FakeLLMServer, demo_index, tmp_path: Path) -> None:
    cache = KeyValueCache(tmp_path)
    result = answer(demo_index, f"{SHOWCASE} fx:reader_malformed", 5, llm=_llm(server), cache=cache)
    assert result.answer is None and not result.refused and result.citations == ()
    assert result.error == 'unusable reply from the reader: no "Answer:" line in the reply'
    assert server.calls_for("answer") == 2 and result.reader.calls == 2
    answer(demo_index, f"{SHOWCASE} fx:reader_malformed", 5, llm=_llm(server), cache=cache)
    assert server.calls_for("answer") == 4  # an unusable reply is not cached
    recovered = answer(demo_index, f"{SHOWCASE} fx:reader_malformed_once", 5, llm=_llm(server), cache=cache)
    assert recovered.answer == "Tamsin Arlow" and recovered.reader.calls == 2


def test_a_429_then_success(server: FakeLLMServer, demo_index) -> None:
    result = answer(demo_index, f"{SHOWCASE} fx:reader_rate_limited", 5, llm=_llm(server))
    assert result.answer == "Tamsin Arlow" and len(result.citations) == 2
    assert server.calls_for("answer") == 2 and result.reader.calls == 1  # one reply, after one retry


def test_ircot_three_steps(server: FakeLLMServer, demo_index, tmp_path: Path) -> None:
    question = f"{SHOWCASE} fx:reader_ircot"
    spy, cache = SpyIndex(demo_index), KeyValueCache(tmp_path)
    result = answer(spy, question, 4, llm=_llm(server), cache=cache, steps=5)
    first_thought = "The Salt Ledger was released by Greywick Press [1]."
    second_thought = "Greywick Press was founded by the bookseller Tamsin Arlow [2]."  # its first sentence only
    assert spy.queries == [question, first_thought, second_thought]  # the final step retrieves nothing
    assert [s.thought for s in result.steps] == [first_thought, second_thought, "So the answer is: Tamsin Arlow."]
    assert server.calls_for("ircot") == 3 and server.calls_for("answer") == 1
    rankings = [demo_index.retrieve(q, k=4) for q in spy.queries]
    assert [p.id for p in result.passages.passages] == [p.id for p in merge_rankings(rankings)[:4]]
    assert result.steps[0].retrieved == tuple(p.id for p in rankings[1].passages)
    assert result.passages.mode.endswith("+ircot") and result.answer == "Tamsin Arlow"
    assert [c.id for c in result.citations] == [p.id for p in result.passages.passages[:2]]
    assert result.to_dict()["steps"][1]["thought"] == second_thought
    server.reset_counts()
    again = answer(SpyIndex(demo_index), question, 4, llm=_llm(server), cache=cache, steps=5)
    assert server.calls == 0 and again.reader.cached and again.passages == result.passages


def test_ircot_stops_after_n_steps(server: FakeLLMServer, demo_index) -> None:
    spy = SpyIndex(demo_index)
    result = answer(spy, f"{SHOWCASE} fx:reader_ircot", 4, llm=_llm(server), steps=2)
    assert len(spy.queries) == 3 and len(result.steps) == 2 and server.calls_for("ircot") == 2
    assert result.answer == "Tamsin Arlow"  # the reader still answers from the merged passages


def test_index_answer(server: FakeLLMServer, demo_index, tmp_path: Path) -> None:
    reader = ReaderConfig(model="stand-in", base_url=server.base_url, k=3)
    result = demo_index.answer(f"{SHOWCASE} fx:reader_cited", k=3, reader=reader, cache_dir=tmp_path)
    assert result.answer == "Tamsin Arlow" and len(result.passages.passages) == 3
    assert set(result.to_dict()) >= {"query", "answer", "citations", "passages", "reader"}
    cached = demo_index.answer(f"{SHOWCASE} fx:reader_cited", k=3, llm=_llm(server), cache_dir=tmp_path)
    assert cached.reader.cached and server.calls == 1
    with pytest.raises(NoReaderError, match="--llm-base-url URL and --llm-model NAME"):
        demo_index.answer(SHOWCASE)  # the demo pipeline names no reader


def test_gold_answers_for_em_and_f1() -> None:
    from hipporag_like.evaluation.datasets import _gold_answers

    assert _gold_answers({"answer": "Kestavia", "answer_aliases": ["Republic of Kestavia", "", "Kestavia"]}) == (
        "Kestavia", "Republic of Kestavia")  # MuSiQue
    assert _gold_answers({"answer": "yes"}) == ("yes",)  # HotpotQA, 2Wiki
    assert _gold_answers({"answer": ["1884", 1884.5, None, True]}) == ("1884", "1884.5")  # HippoRAG's lists
    assert _gold_answers({}) == ()
