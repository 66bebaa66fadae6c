"""Index build, save/open round trip, retrieval quality on the demo, refusal of bad folders."""

from __future__ import annotations

import json
import shutil

import pytest

from hipporag_like import MODES, EmbedderConfig, Index, IndexFormatError
from hipporag_like.store import MANIFEST

from conftest import SHOWCASE


def supporting_titles(question: dict) -> set[str]:
    return {p["title"] for p in question["paragraphs"] if p["is_supporting"]}


def test_round_trip_keeps_everything(demo_index, demo_index_path, demo_passages):
    reopened = Index.open(demo_index_path)
    try:
        assert [p.id for p in reopened.data.passages] == [p.id for p in demo_passages]
        assert reopened.data.phrases.keys == demo_index.data.phrases.keys
        assert reopened.data.facts.triples == demo_index.data.facts.triples
        assert (reopened.data.edges.weight == demo_index.data.edges.weight).all()
        assert reopened.store.count("passages") == len(demo_passages)
        assert reopened.store.count("facts") == len(demo_index.data.facts.triples)
        a, b = reopened.retrieve(SHOWCASE, k=5), demo_index.retrieve(SHOWCASE, k=5)
        assert [p.id for p in a.passages] == [p.id for p in b.passages]
    finally:
        reopened.close()


def test_stats_counts_match_data(demo_index):
    stats = demo_index.stats()
    assert stats["passages"] == len(demo_index.data.passages)
    assert stats["facts"] == len(demo_index.data.facts.triples)
    assert sum(stats["edges"].values()) == len(demo_index.data.edges.src)
    assert stats["edges"]["passage"] > 0 and stats["edges"]["relation"] > 0


def test_showcase_question_finds_both_supporting_passages(demo_index, demo_questions):
    showcase = demo_questions[0]
    assert showcase["question"] == SHOWCASE
    result = demo_index.retrieve(SHOWCASE, k=5)
    assert supporting_titles(showcase) <= {p.title for p in result.passages}
    top = result.passages[0]
    assert top.why.dense_score is not None and result.seed_phrases and result.facts


def test_graph_modes_beat_dense_on_the_demo(demo_index, demo_questions):
    def recall(mode: str, k: int) -> float:
        total = 0.0
        for q in demo_questions:
            titles = {p.title for p in demo_index.retrieve(q["question"], k=k, mode=mode).passages}
            total += len(supporting_titles(q) & titles) / len(supporting_titles(q))
        return total / len(demo_questions)

    assert recall("ppr-fact", 5) > recall("dense", 5)


@pytest.mark.parametrize("mode", MODES)
def test_every_mode_answers(demo_index, mode):
    result = demo_index.retrieve(SHOWCASE, k=3, mode=mode)
    assert result.mode == mode and len(result.passages) == 3
    scores = [p.score for p in result.passages]
    assert scores == sorted(scores, reverse=True)


def test_unknown_format_version_is_refused(demo_index_path, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(demo_index_path, copy)
    path = next(copy.rglob(MANIFEST))
    manifest = json.loads(path.read_text())
    manifest["format_version"] = 99
    path.write_text(json.dumps(manifest))
    with pytest.raises(IndexFormatError, match="format version 99 is not supported"):
        Index.open(copy)


def test_tampered_file_is_refused(demo_index_path, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(demo_index_path, copy)
    with next(copy.rglob("passages.jsonl")).open("a") as f:
        f.write('{"id": "x", "title": "", "text": "injected"}\n')
    with pytest.raises(IndexFormatError, match="passages.jsonl: content does not match the manifest"):
        Index.open(copy)


def test_different_embedder_is_refused(demo_index_path):
    with pytest.raises(IndexFormatError, match="built with embedder"):
        Index.open(demo_index_path, embedder=EmbedderConfig(model="some-other-model"))


def test_not_an_index(tmp_path):
    with pytest.raises(IndexFormatError, match="no such index folder"):
        Index.open(tmp_path / "missing")
    (tmp_path / "file").write_text("x")
    with pytest.raises(IndexFormatError, match="is a file"):
        Index.open(tmp_path / "file")
    with pytest.raises(IndexFormatError, match="CURRENT: missing"):
        Index.open(tmp_path)
