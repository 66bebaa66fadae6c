"""eval --failures FILE: one JSON line per (mode, question) with a gold passage outside the top 10."""

from __future__ import annotations

import json
from types import SimpleNamespace

from click.testing import CliRunner

from hipporag_like.cli import main
from hipporag_like.evaluation.failures import failure_record, write_failures
from hipporag_like.results import FactHit, RetrievalResult, RetrievedPassage, SeedPhrase, Why

from conftest import DEMO


def result(ids: list[str]) -> RetrievalResult:
    passages = tuple(RetrievedPassage(i, f"T{i}", "text", 1.0, Why((), (), None, ("T0",) if i == "12" else ())) for i in ids)
    return RetrievalResult("q?", "hybrid", passages, (SeedPhrase("alpha", 0.5),), (FactHit("alpha", "in", "beta", 0.9),))


def test_a_record_only_when_a_gold_passage_is_outside_the_top_10():
    titles = {str(i): f"T{i}" for i in range(30)}
    ranked = result([str(i) for i in range(20)])
    inside = SimpleNamespace(id="q1", text="q?", gold_ids=("0", "9"))
    assert failure_record(inside, ranked, titles) is None
    outside = SimpleNamespace(id="q2", text="q?", gold_ids=("0", "12", "25"))
    record = failure_record(outside, ranked, titles)
    assert record["gold"] == [{"title": "T0", "rank": 1}, {"title": "T12", "rank": 13, "named_by": ["T0"]}, {"title": "T25", "rank": None}]
    assert "notes" not in record
    assert record["top"] == [f"T{i}" for i in range(10)]
    assert record["seeds"] == [["alpha", 0.5]] and record["facts"] == [["alpha", "in", "beta", 0.9]]
    assert record["mode"] == "hybrid" and record["question_id"] == "q2"


def test_write_failures_is_json_lines(tmp_path):
    path = tmp_path / "f.jsonl"
    write_failures(path, [{"a": 1}, {"b": "é"}])
    assert [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] == [{"a": 1}, {"b": "é"}]
    assert list(tmp_path.iterdir()) == [path]


def test_eval_failures_flag_on_the_demo(tmp_path):
    out = tmp_path / "failures.jsonl"
    args = ["eval", str(DEMO), "--index", str(tmp_path / "idx"), "--mode", "bm25", "--mode", "dense", "--k", "2", "--failures", str(out), "--quiet"]
    run = CliRunner().invoke(main, args)
    assert run.exit_code == 0, run.output
    assert out.is_file()  # written even when every gold passage is in the top 10
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    for record in records:
        assert record["mode"] in {"bm25", "dense"}
        assert any(g["rank"] is None or g["rank"] > 10 for g in record["gold"])
        assert set(record) == {"mode", "question_id", "question", "gold", "top", "seeds", "facts"}
