"""`ask` and `eval --qa` end to end, against the fixture server (tests/fake_llm_server.py).

No language model runs here: the server replays answers recorded in tests/fixtures/llm/, picked
by the `fx:<name>` marker in each question. The EM and F1 expected below are worked out by
hand from those recorded answers and the gold answers of a three-question dataset.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import DEMO, SHOWCASE
from fake_llm_server import FakeLLMServer
from hipporag_like.cli import main


@pytest.fixture()
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as fake:
        yield fake


def _ask(server: FakeLLMServer, index: Path, cache: Path, question: str, *extra: str):  # type: ignore[no-untyped-def]
    args = ["ask", question, "--index", str(index), "--llm-base-url", server.base_url, "--llm-model", "stand-in",
            "--cache-dir", str(cache), *extra]
    return CliRunner().invoke(main, args)


def test_ask_json_shape(server: FakeLLMServer, demo_index_path: Path, tmp_path: Path) -> None:
    question = f"{SHOWCASE} fx:reader_cited"
    result = _ask(server, demo_index_path, tmp_path, question, "-k", "3", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) >= {"query", "answer", "citations", "passages", "reader"}
    assert data["query"] == question and data["answer"] == "Tamsin Arlow" and len(data["passages"]) == 3
    assert [c["n"] for c in data["citations"]] == [1, 2]
    for citation, passage in zip(data["citations"], data["passages"]):
        assert {"n", "id", "title"} <= set(citation) and (citation["id"], citation["title"]) == (passage["id"], passage["title"])
    assert set(data["passages"][0]) >= {"id", "title", "text", "score", "why"}  # as in `query --json`
    assert data["reader"]["model"] == "stand-in" and data["reader"]["cached"] is False
    again = _ask(server, demo_index_path, tmp_path, question, "-k", "3", "--json")
    assert json.loads(again.stdout)["reader"]["cached"] is True and server.calls == 1


def test_ask_text_with_ircot_and_a_dropped_citation(server: FakeLLMServer, demo_index_path: Path, tmp_path: Path) -> None:
    result = _ask(server, demo_index_path, tmp_path, f"{SHOWCASE} fx:reader_ircot", "--steps", "3")
    assert result.exit_code == 0, result.output
    assert "A: Tamsin Arlow" in result.stdout and "step 3: So the answer is: Tamsin Arlow." in result.stdout
    assert "[2] " in result.stdout and "It was founded in 1962" in result.stdout
    dropped = _ask(server, demo_index_path, tmp_path, f"{SHOWCASE} fx:reader_out_of_range", "-k", "3")
    assert "1 cited" not in dropped.stdout and "2 cited passage number(s) not among the 3 given: dropped" in dropped.stdout
    refused = _ask(server, demo_index_path, tmp_path, "Where? fx:reader_refusal")
    assert refused.exit_code == 0 and "no answer in the passages" in refused.stdout


def test_ask_with_an_unreadable_reply_exits_2(server: FakeLLMServer, demo_index_path: Path, tmp_path: Path) -> None:
    result = _ask(server, demo_index_path, tmp_path, f"{SHOWCASE} fx:reader_malformed", "--json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["answer"] is None and 'no "Answer:" line' in result.stderr


def test_ask_without_a_reader_names_the_flags(demo_index_path: Path) -> None:
    result = CliRunner().invoke(main, ["ask", SHOWCASE, "--index", str(demo_index_path)])
    assert result.exit_code == 2
    assert result.stderr.strip() == ("error: ask needs a reader LLM: pass --llm-base-url URL and --llm-model NAME "
                                     "(or --pipeline FILE with a [reader] table that names a model)")


def test_ask_takes_the_reader_from_a_pipeline(server: FakeLLMServer, demo_index_path: Path, tmp_path: Path) -> None:
    pipeline = tmp_path / "reader.toml"
    pipeline.write_text(f'[reader]\nkind = "openai"\nmodel = "from-file"\nbase_url = "{server.base_url}"\nk = 2\n')
    result = CliRunner().invoke(main, ["ask", f"{SHOWCASE} fx:reader_cited", "--index", str(demo_index_path), "--pipeline",
                                       str(pipeline), "--cache-dir", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["reader"]["model"] == "from-file" and len(data["passages"]) == 2


# -- eval --qa ------------------------------------------------------------------------------------


def _qa_dataset(folder: Path, questions: list[tuple[str, str, str, list[str]]]) -> Path:
    """The demo corpus with some demo questions, each given a marker and gold answers."""
    folder.mkdir()
    shutil.copy(DEMO / "corpus.json", folder / "corpus.json")
    demo = {q["id"]: q for q in json.loads((DEMO / "questions.json").read_text())}
    records = [demo[qid] | {"question": f"{demo[qid]['question']} fx:{fixture}", "answer": gold, "answer_aliases": aliases}
               for qid, fixture, gold, aliases in questions]
    (folder / "questions.json").write_text(json.dumps(records))
    return folder


def test_eval_qa_exact_em_and_f1(server: FakeLLMServer, demo_index_path: Path, tmp_path: Path) -> None:
    dataset = _qa_dataset(tmp_path / "tiny", [
        ("demo_1", "qa_alias", "Tamsin Arlow", ["T. Arlow"]),  # "T. Arlow" = alias: EM 1, F1 1
        ("demo_3", "qa_partial", "1884", ["in 1884"]),  # "the year 1884" -> "year 1884": EM 0, F1 2/3 (vs "1884")
        ("demo_4", "reader_refusal", "Siltwater River", []),  # refused: EM 0, F1 0
    ])
    out, answers = tmp_path / "out", tmp_path / "answers.jsonl"
    args = ["eval", str(dataset), "--index", str(demo_index_path), "--mode", "hybrid", "--qa", "--llm-base-url", server.base_url,
            "--llm-model", "stand-in", "--cache-dir", str(tmp_path / "cache"), "--answers", str(answers), "--out", str(out), "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    qa = json.loads(result.stdout)["results"][0]["qa"]
    assert qa["em"] == round(100 * 1 / 3, 2) == 33.33
    assert qa["f1"] == round(100 * (1 + 2 / 3 + 0) / 3, 2) == 55.56
    assert (qa["questions"], qa["answered"], qa["refused"], qa["unreadable"], qa["k"], qa["reader"]) == (3, 2, 1, 0, 5, "stand-in")
    records = [json.loads(line) for line in answers.read_text().splitlines()]
    assert [(r["id"], r["answer"], r["em"], r["f1"]) for r in records] == [
        ("demo_1", "T. Arlow", 1.0, 1.0), ("demo_3", "the year 1884", 0.0, 0.6667), ("demo_4", None, 0.0, 0.0)]
    assert records[0]["citations"][0]["n"] == 1 and records[2]["refused"] is True
    table = (out / "results.md").read_text()
    assert "| EM | F1 |" in table and "| 33.3 | 55.6 |" in table
    assert (out / "recall.png").stat().st_size > 0 and json.loads((out / "results.json").read_text())["results"][0]["qa"] == qa
    assert server.calls_for("answer") == 3
    again = CliRunner().invoke(main, args)  # every answer is cached: no call, same scores
    assert again.exit_code == 0 and json.loads(again.stdout)["results"][0]["qa"] == qa and server.calls_for("answer") == 3


def test_eval_qa_through_ircot(server: FakeLLMServer, demo_index_path: Path, tmp_path: Path) -> None:
    dataset = _qa_dataset(tmp_path / "one", [("demo_1", "reader_ircot", "Tamsin Arlow", [])])
    args = ["eval", str(dataset), "--index", str(demo_index_path), "--mode", "dense", "--qa", "--steps", "3",
            "--llm-base-url", server.base_url, "--llm-model", "stand-in", "--cache-dir", str(tmp_path / "cache")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "| dense (QA: IRCoT 3 steps) |" in result.stdout and "| 100.0 | 100.0 |" in result.stdout
    assert server.calls_for("ircot") == 3 and server.calls_for("answer") == 1


@pytest.mark.parametrize("extra, message", [
    (["--qa"], "error: eval --qa needs a reader LLM: pass --llm-base-url URL and --llm-model NAME"),
    (["--steps", "2"], "error: --answers and --steps apply to answers: add --qa"),
])
def test_eval_qa_usage_errors(demo_index_path: Path, tmp_path: Path, extra: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["eval", str(DEMO), "--index", str(tmp_path / "never-built"), *extra])
    assert result.exit_code == 2 and result.stderr.startswith(message)
    assert not (tmp_path / "never-built").exists()  # refused before any index work
