"""HippoRAG 2's LLM paths at query time: the recognition-memory fact filter and question
decomposition for the second hop.

No language model runs here: FakeLLMServer (tests/fake_llm_server.py) stands in for it, a
loopback OpenAI-compatible server that replays answers recorded in tests/fixtures/llm/, picked by
the `fx:<name>` marker in the question. These tests check our prompts' plumbing, the parsing of
the replies, the fallbacks and the cache, over the real index (igraph walk, Qdrant Edge, MiniLM)
of the hand-built two-hop corpus of test_second_hop.py. What a real model would keep is not
measured here: eval/bench_query_llm.py does that against any server a user points it at.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner

from fake_llm_server import FakeLLMServer, step_of
from hipporag_like import Index
from hipporag_like.cli import main
from hipporag_like.config import PipelineConfig, ReaderConfig
from hipporag_like.errors import HippoError, InputError
from hipporag_like.query_llm import make_query_llm
from hipporag_like.query_llm.parsing import parse_kept_facts, parse_sub_questions, without_placeholders
from hipporag_like.query_llm.prompts import decompose_messages, filter_messages
from hipporag_like.reader.parsing import ReaderParseError
from test_second_hop import QUESTION, build

# One first-walk fact, and the question's title seeds and the title hop off, so that what moves
# the director's article here is the LLM path under test alone.
ISOLATED = {"hybrid_fact_top_k": 1, "title_seed_weight": 0.0, "title_hop_weight": 0.0}
CANDIDATES = [("Blind Harbour", "is a", "1999 film"), ("Blind Harbour", "directed by", "Orrin Vale"), ("Lisbon", "capital of", "Portugal")]


# -- pure: parsing and prompts ---------------------------------------------------------------------

@pytest.mark.parametrize("reply, kept", [
    ('{"facts": [2, 1, 2]}', [0, 1]),  # numbers, each once, in candidate order
    ('{"facts": ["3"]}', [2]),
    ('{"facts": [0, 4, -1, true]}', []),  # out of range or not a number: never a fact
    ('{"fact": [["blind harbour", "Directed  by", "ORRIN VALE"]]}', [1]),  # written out, case and spacing aside
    ('{"facts": [["Blind Harbour", "directed by", "Orrin"]]}', []),  # no partial match
    ('```json\n{"facts": [1]}\n```', [0]),
    ('[3]', [2]),
    ('{"facts": []}', []),
])
def test_kept_facts(reply: str, kept: list[int]) -> None:
    assert parse_kept_facts(reply, CANDIDATES) == kept


@pytest.mark.parametrize("reply", ["", "   ", "I would keep the first one.", '{"answer": 1}'])
def test_an_unusable_filter_reply_is_an_error_not_an_empty_keep(reply: str) -> None:
    with pytest.raises(ReaderParseError):
        parse_kept_facts(reply, CANDIDATES)


def test_sub_questions() -> None:
    assert parse_sub_questions('{"questions": ["Who directed X?", " ", "Where was #1 born?", 7]}') == ["Who directed X?", "Where was #1 born?"]
    for reply in ('{"questions": []}', "no idea", '{"questions": [1, 2]}'):
        with pytest.raises(ReaderParseError):
            parse_sub_questions(reply)
    assert without_placeholders("Where was # 1 born, and is #2 older?") == "Where was born, and is older?"


def test_prompts_are_one_shot_and_their_examples_parse() -> None:
    messages = filter_messages("Q?", CANDIDATES)
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[-1]["content"].splitlines()[2] == '1. ["Blind Harbour", "is a", "1999 film"]'
    example = [tuple(json.loads(line.split(". ", 1)[1])) for line in messages[1]["content"].splitlines()[2:]]
    assert parse_kept_facts(messages[2]["content"], example) == [0, 2]
    steps = decompose_messages("Q?")
    assert len(parse_sub_questions(steps[2]["content"])) == 3
    assert (step_of(messages), step_of(steps)) == ("filter", "decompose")  # how the fixture server tells them apart


# -- configuration ----------------------------------------------------------------------------------

def test_choices_are_checked_when_a_pipeline_is_read() -> None:
    with pytest.raises(InputError, match="fact_filter.*'yes' is not one of none, llm"):
        PipelineConfig.from_dict({"retrieval": {"fact_filter": "yes"}}, "p.toml")
    with pytest.raises(InputError, match="fact_filter_candidates.*over the limit"):
        PipelineConfig.from_dict({"retrieval": {"fact_filter_candidates": 1000}}, "p.toml")


def test_an_llm_path_without_an_llm_is_a_one_line_error() -> None:
    config = PipelineConfig.from_dict({"retrieval": {"fact_filter": "llm"}})
    with pytest.raises(HippoError, match=r'fact_filter = "llm" needs an LLM: set \[reader\] model'):
        make_query_llm(config)
    assert make_query_llm(PipelineConfig()) is None  # off: nothing built, nothing needed
    with_reader = replace(config, reader=ReaderConfig(model="m", base_url="http://127.0.0.1:9/v1"))
    assert make_query_llm(with_reader) is not None  # the backend itself is built on first use only


# -- against the fixture server ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as fake:
        yield fake


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("two-hop-llm") / "idx"
    build(path).close()
    return path


def open_with_llm(folder: Path, server: FakeLLMServer, cache: Path, **retrieval) -> Index:
    """The two-hop index ISOLATED, its reader pointed at the fixture server."""
    with Index.open(folder) as base:
        tuned = replace(base.config.retrieval, **ISOLATED, **retrieval)
    reader = ReaderConfig(model="stand-in", base_url=server.base_url, max_retries=0, timeout_s=5)
    index = Index.open(folder, retrieval=tuned, reader=reader)
    assert index.query_llm is not None
    index.query_llm.cache_dir = cache
    return index


def titles(result) -> list[str]:
    return [p.title for p in result.passages]


def triples(result) -> set[tuple[str, str, str]]:
    return {(f.subject, f.relation, f.object) for f in result.facts}


def test_the_filter_keeps_a_bridge_fact_that_the_walk_then_follows(folder, server, tmp_path) -> None:
    question = f"{QUESTION} fx:filter_bridge"
    with Index.open(folder) as plain:
        plain.retriever.config = replace(plain.retriever.config, **ISOLATED)
        without = plain.retrieve(question, k=8)
    with open_with_llm(folder, server, tmp_path, fact_filter="llm") as index:
        calls = server.calls_for("filter", "filter_bridge")
        result = index.retrieve(question, k=8)
        assert server.calls_for("filter", "filter_bridge") == calls + 1
        sent = [r.user for r in server.received if r.fixture == "filter_bridge"][-1]
        assert sent.count("\n") == 6 and "2. [\"blind harbour\", \"directed by\", \"orrin vale\"]" in sent  # 5 candidates shown
        assert triples(result) == {("blind harbour", "is a", "1999 film"), ("blind harbour", "directed by", "orrin vale")}
        assert "orrin vale" in {s.phrase for s in result.seed_phrases}
        assert titles(result).index("Orrin Vale") < titles(without).index("Orrin Vale")
        assert result.notes == ("fact filter kept 2 of 5 facts",)
        again = index.retrieve(question, k=8)  # cached: no second call for the same question and candidates
        assert server.calls_for("filter", "filter_bridge") == calls + 1 and titles(again) == titles(result)


def test_facts_written_out_are_matched_to_the_candidates(folder, server, tmp_path) -> None:
    with open_with_llm(folder, server, tmp_path, fact_filter="llm") as index:
        result = index.retrieve(f"{QUESTION} fx:filter_triples", k=5)
    assert triples(result) == {("blind harbour", "directed by", "orrin vale")}  # the invented one is dropped


@pytest.mark.parametrize("fixture, why", [("filter_none", "kept none of 5 facts"), ("filter_garbage", "gave no usable reply")])
def test_an_empty_or_unusable_filter_falls_back_to_the_unfiltered_walk(folder, server, tmp_path, fixture, why) -> None:
    question = f"{QUESTION} fx:{fixture}"
    with Index.open(folder) as plain:
        plain.retriever.config = replace(plain.retriever.config, **ISOLATED)
        without = plain.retrieve(question, k=8)
    with open_with_llm(folder, server, tmp_path, fact_filter="llm") as index:
        result = index.retrieve(question, k=8)
    assert titles(result) == titles(without) and result.facts == without.facts
    assert result.notes == (f"fact filter {why}; the walk used the unfiltered facts",)


def test_decomposition_steers_the_second_hop(folder, server, tmp_path, monkeypatch) -> None:
    question = f"{QUESTION} fx:decompose_bridge"
    with open_with_llm(folder, server, tmp_path, decompose="llm") as index:
        embedded: list[str] = []
        embed = index.retriever.embedder.embed
        monkeypatch.setattr(index.retriever.embedder, "embed", lambda batch: embedded.extend(batch) or embed(batch))
        result = index.retrieve(question, k=8, mode="hybrid-2hop")
        assert embedded == [question, "Where was born?"]  # the question, then its later step: one more encoding
        assert result.notes == ("decomposition: 2 steps; the second hop followed: Where was born?",)
        assert ("blind harbour", "directed by", "orrin vale") in triples(result)
        assert "Orrin Vale" in titles(result)[:3]
        plain = index.retrieve(question, k=8, mode="hybrid")  # decomposition is for the second hop only
        assert plain.notes == () and server.calls_for("decompose", "decompose_bridge") == 1


def test_one_step_falls_back_to_the_residual_question(folder, server, tmp_path) -> None:
    question = f"{QUESTION} fx:decompose_single"
    with Index.open(folder) as plain:
        plain.retriever.config = replace(plain.retriever.config, **ISOLATED)
        residual = plain.retrieve(question, k=8, mode="hybrid-2hop")
    with open_with_llm(folder, server, tmp_path, decompose="llm") as index:
        result = index.retrieve(question, k=8, mode="hybrid-2hop")
    assert titles(result) == titles(residual)
    assert result.notes == ("decomposition gave 1 step(s); the second hop used the residual question",)


def test_query_flags_and_json_notes(folder, server, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HIPPORAG_LIKE_CACHE", str(tmp_path / "cache"))
    args = ["query", f"{QUESTION} fx:filter_none", "--index", str(folder), "--json", "--fact-filter", "llm",
            "--llm-base-url", server.base_url, "--llm-model", "stand-in"]
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["notes"] == ["fact filter kept none of 5 facts; the walk used the unfiltered facts"]
    missing = CliRunner().invoke(main, ["query", QUESTION, "--index", str(folder), "--fact-filter", "llm"])
    assert missing.exit_code == 2 and 'fact_filter = "llm" needs an LLM' in missing.output


def test_eval_measures_the_llm_paths(server, tmp_path, monkeypatch) -> None:
    from conftest import DEMO

    monkeypatch.setenv("HIPPORAG_LIKE_CACHE", str(tmp_path / "cache"))
    questions = len(json.loads((DEMO / "questions.json").read_text()))
    before = server.calls_for("filter", "good")
    args = ["eval", str(DEMO), "--index", str(tmp_path / "idx"), "--mode", "hybrid", "--json", "--fact-filter", "llm",
            "--llm-base-url", server.base_url, "--llm-model", "stand-in"]
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 0, out.output
    assert server.calls_for("filter", "good") - before == questions  # one call per question, the rest cached
    assert json.loads(out.output)["results"][0]["mode"] == "hybrid"
    missing = CliRunner().invoke(main, ["eval", str(DEMO), "--index", str(tmp_path / "idx"), "--mode", "hybrid", "--decompose", "llm"])
    assert missing.exit_code == 2 and 'decompose = "llm" needs an LLM' in missing.output
