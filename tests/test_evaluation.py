"""Evaluation: dataset loaders, OpenIE import, metrics against hand-computed values, eval --json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hipporag_like.cli import main
from hipporag_like.corpus import Passage, passage_id
from hipporag_like.errors import InputError
from hipporag_like.evaluation.datasets import load_dataset
from hipporag_like.evaluation.metrics import exact_match, f1_score, latency_summary, mean_recall, normalize_answer, recall_at_k
from hipporag_like.config import PipelineConfig
from hipporag_like.evaluation.runner import evaluate, ordered_modes
from hipporag_like.extraction.openie_file import OpenIEFileExtractor, clean_triples
from hipporag_like.progress import QUIET

from conftest import DEMO

CORPUS = [{"title": "A", "text": "Alpha is in Beta."}, {"title": "B", "text": "Beta is in Gamma."}, {"title": "C", "text": "Noise."}]


def dataset(tmp_path: Path, questions: list, corpus: object = CORPUS) -> Path:
    folder = tmp_path / "ds"
    folder.mkdir()
    (folder / "corpus.json").write_text(json.dumps(corpus))
    (folder / "questions.json").write_text(json.dumps(questions))
    return folder


def test_musique_format(tmp_path):
    q = {"id": "m1", "question": "Where?", "answer": "Gamma", "answer_aliases": ["G"], "paragraphs": [
        {"idx": 0, "title": "A", "paragraph_text": "Alpha is in Beta.", "is_supporting": True},
        {"idx": 1, "title": "B", "paragraph_text": "Beta is in Gamma.", "is_supporting": True},
        {"idx": 2, "title": "C", "paragraph_text": "Noise.", "is_supporting": False}]}
    ds = load_dataset(dataset(tmp_path, [q]))
    [question] = ds.questions
    assert question.gold_ids == (passage_id("A", "Alpha is in Beta."), passage_id("B", "Beta is in Gamma."))
    assert question.answers == ("Gamma", "G") and len(ds.passages) == 3


def test_hipporag_format(tmp_path):
    q = {"id": "h1", "question": "Where?", "answer": ["Gamma"], "paragraphs": [{"title": "B", "text": "Beta is in Gamma.", "is_supporting": True}]}
    [question] = load_dataset(dataset(tmp_path, [q])).questions
    assert question.gold_ids == (passage_id("B", "Beta is in Gamma."),) and question.answers == ("Gamma",)


@pytest.mark.parametrize("id_key", ["_id", "id"])  # HotpotQA uses _id, 2Wiki uses _id too; both accepted
def test_hotpot_and_2wiki_format(tmp_path, id_key):
    corpus = {"A": ["Alpha is", " in Beta."], "B": ["Beta is in Gamma."]}
    q = {id_key: "x", "question": "Where?", "answer": "Gamma", "supporting_facts": [["A", 1], ["B", 0], ["A", 0]],
         "context": [["A", ["Alpha is", " in Beta."]], ["B", ["Beta is in Gamma."]]]}
    [question] = load_dataset(dataset(tmp_path, [q], corpus)).questions
    assert question.id == "x"
    assert question.gold_ids == (passage_id("A", "Alpha is in Beta."), passage_id("B", "Beta is in Gamma."))


def test_missing_gold_passage_is_named(tmp_path):
    q = {"id": "m1", "question": "Where?", "paragraphs": [{"title": "Z", "paragraph_text": "Not in corpus.", "is_supporting": True}]}
    with pytest.raises(InputError, match=r'question m1: gold passage "Z" is not in the corpus'):
        load_dataset(dataset(tmp_path, [q]))


def test_question_without_gold_or_format(tmp_path):
    with pytest.raises(InputError, match="needs \"paragraphs\""):
        load_dataset(dataset(tmp_path, [{"id": "q", "question": "Where?"}]))


HOTPOT_CORPUS = {"A": ["Alpha is in Beta."]}


def hotpot(**fields: object) -> dict:
    """A HotpotQA question with one good supporting fact, fields replaced as given."""
    return {"_id": "x", "question": "Where?", "supporting_facts": [["A", 0]], "context": [["A", ["Alpha is in Beta."]]], **fields}


def musique(**fields: object) -> dict:
    """A MuSiQue question whose one paragraph (supporting, about A) has the given fields replaced."""
    return {"id": "m1", "question": "Where?", "paragraphs": [{"title": "A", "paragraph_text": "Alpha is in Beta.", "is_supporting": True, **fields}]}


@pytest.mark.parametrize(
    "question, corpus, message",
    [
        (hotpot(supporting_facts=[[5, 0]], context=[["A", ["Alpha is in Beta."]]]), HOTPOT_CORPUS,
         'question x: "supporting_facts" entry 0: title must be a string, got int'),
        (hotpot(context=[[5, ["Alpha is in Beta."]]]), HOTPOT_CORPUS, 'question x: "context" entry 0: title must be a string, got int'),
        (hotpot(context=[["A", "Alpha is in Beta."]]), HOTPOT_CORPUS, 'question x: "context" entry 0 must be [title, [sentences]], got [str, str]'),
        (hotpot(context=[["A", ["Alpha", None]]]), HOTPOT_CORPUS, 'question x: "context" entry 0: sentences must be strings, got null'),
        (hotpot(context={"A": ["Alpha is in Beta."]}), HOTPOT_CORPUS, 'question x: field "context" must be a list of [title, [sentences]], got object'),
        (hotpot(supporting_facts=[["A"]]), HOTPOT_CORPUS, 'question x: "supporting_facts" entry 0 must be [title, sentence index]'),
        (hotpot(supporting_facts="A"), HOTPOT_CORPUS, 'question x: field "supporting_facts" must be a list of [title, sentence index], got str'),
        (musique(title=5), CORPUS, 'question m1: paragraph 0: field "title" must be a string, got int'),
        (musique(paragraph_text=None), CORPUS, 'question m1: paragraph 0: field "paragraph_text" must be a string, got null'),
        (musique(is_supporting="false"), CORPUS, 'question m1: paragraph 0: field "is_supporting" must be true or false, got str'),
        (musique(is_supporting=1), CORPUS, 'question m1: paragraph 0: field "is_supporting" must be true or false, got int'),
        ({"id": "m1", "question": "Where?", "paragraphs": {"0": {}}}, CORPUS, 'question m1: field "paragraphs" must be a list, got object'),
        ({"id": "m1", "question": 7, "paragraphs": []}, CORPUS, 'question m1: field "question" must be a string, got int'),
    ],
    ids=["fact-title-int", "context-title-int", "sentences-a-string", "sentence-null", "context-an-object", "fact-too-short",
         "facts-a-string", "musique-title-int", "musique-text-null", "is-supporting-string", "is-supporting-int",
         "paragraphs-an-object", "question-int"],
)
def test_malformed_question_names_file_question_and_field(tmp_path, question, corpus, message):
    """Once a non-string title crashed with AttributeError, and a string of sentences was
    reported as a gold passage missing from the corpus."""
    with pytest.raises(InputError) as caught:
        load_dataset(dataset(tmp_path, [question], corpus))
    text = str(caught.value)
    assert text.startswith(str(tmp_path / "ds" / "questions.json")) and message in text and "\n" not in text


@pytest.mark.parametrize("name", ["questions.json", "corpus.json"])
def test_dataset_file_that_is_a_folder(tmp_path, name):
    folder = dataset(tmp_path, [musique()])
    (folder / name).unlink()
    (folder / name).mkdir()
    with pytest.raises(InputError, match=f"{name}: is a folder, not a file"):
        load_dataset(folder)


@pytest.mark.parametrize(
    "content, message",
    [
        ('[{"id": "m1", "n": ' + "9" * 5000 + "}]", "questions.json: a number has more than 4300 digits"),
        ('[{"id": "m1",\n "question": "tab\there"}]', "questions.json:2: invalid JSON: Invalid control character at column 18"),
    ],
)
def test_questions_file_json_errors(tmp_path, content, message):
    folder = dataset(tmp_path, [])
    (folder / "questions.json").write_text(content)
    with pytest.raises(InputError, match=message):
        load_dataset(folder)


def test_openie_import_v1_and_v2_with_malformed_triples(tmp_path):
    passages = [Passage.make(c["title"], c["text"]) for c in CORPUS[:2]]
    docs = [
        {"idx": 0, "passage": "A\nAlpha is in Beta.", "extracted_entities": ["Alpha", "Beta", 3],
         "extracted_triples": [["Alpha", "is in", "Beta"], ["Alpha", "is"], ["", "x", "y"], ["a", None, "b"], "junk"]},
        {"passage": "B\nBeta is in Gamma.", "extracted_entities": ["Beta"], "extracted_triples": [["Beta", "is in", "Gamma"]]},
    ]
    path = tmp_path / "openie.json"
    path.write_text(json.dumps({"docs": docs}))
    first, second = OpenIEFileExtractor(str(path)).extract(passages, QUIET)
    assert first.triples == (("Alpha", "is in", "Beta"),) and first.dropped_triples == 4
    assert first.entities == ("Alpha", "Beta")
    assert second.triples == (("Beta", "is in", "Gamma"),) and second.dropped_triples == 0
    assert clean_triples("not a list") == ([], 1)


def test_openie_missing_entry_and_bad_file(tmp_path):
    path = tmp_path / "openie.json"
    path.write_text(json.dumps({"docs": [{"passage": "A\nAlpha is in Beta."}]}))
    with pytest.raises(InputError, match='no entry for corpus passage "C"'):
        OpenIEFileExtractor(str(path)).extract([Passage.make("C", "Noise.")], QUIET)
    path.write_text(json.dumps([1, 2]))
    with pytest.raises(InputError, match='"docs" list'):
        OpenIEFileExtractor(str(path)).extract([Passage.make("C", "Noise.")], QUIET)
    path.write_text('{"docs": [], "n": ' + "9" * 5000 + "}")
    with pytest.raises(InputError, match="openie.json: a number has more than 4300 digits"):
        OpenIEFileExtractor(str(path)).extract([Passage.make("C", "Noise.")], QUIET)
    with pytest.raises(InputError, match=f"{tmp_path}: is a folder, not an OpenIE file"):
        OpenIEFileExtractor(str(tmp_path)).extract([Passage.make("C", "Noise.")], QUIET)


def test_recall_by_hand():
    assert recall_at_k(["a", "x", "b"], ["a", "b"], 1) == 0.5
    assert recall_at_k(["a", "x", "b"], ["a", "b"], 2) == 0.5
    assert recall_at_k(["a", "x", "b"], ["a", "b"], 3) == 1.0
    assert mean_recall([["a", "b"], ["x", "y"]], [["a"], ["y", "z"]], (1, 2)) == {1: 50.0, 2: 75.0}


def test_answer_metrics_by_hand():
    assert normalize_answer("The  Eiffel-Tower!") == "eiffeltower"
    assert exact_match("the Gamma", ["gamma"]) == 1.0 and exact_match("Gamma city", ["gamma"]) == 0.0
    # prediction "gamma city" vs gold "gamma": precision 1/2, recall 1 -> F1 2/3
    assert f1_score("Gamma city", ["gamma"]) == pytest.approx(2 / 3)
    assert f1_score("x", ["y", "x z"]) == pytest.approx(2 / 3)
    assert f1_score("nothing", ["gamma"]) == 0.0


def test_latency_summary_by_hand():
    assert latency_summary([0.001, 0.002, 0.003, 0.004]) == {"mean": 2.5, "p50": 2.5, "p95": 3.85}


def test_default_mode_comes_first():
    assert ordered_modes(None, "hybrid")[0] == "hybrid"
    assert ordered_modes(["dense", "ppr-fact"], "ppr-fact") == ["ppr-fact", "dense"]


def test_eval_json_on_the_demo(tmp_path):
    args = ["eval", str(DEMO), "--index", str(tmp_path / "idx"), "--mode", "dense", "--mode", "hybrid", "--json", "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"dataset", "questions", "passages", "extractor", "embedder", "results"}
    assert data["questions"] == 10 and data["passages"] == 43
    assert [r["mode"] for r in data["results"]] == ["hybrid", "dense"]
    for r in data["results"]:
        assert set(r["recall"]) == {"1", "2", "5", "10", "20"} and set(r["latency_ms"]) == {"mean", "p50", "p95"}
        assert all(0.0 <= v <= 100.0 for v in r["recall"].values())
        assert r["recall"]["1"] <= r["recall"]["5"] <= r["recall"]["20"]
    for name in ("results.json", "results.md", "recall.png"):
        assert (tmp_path / "out" / name).stat().st_size > 0
    saved = json.loads((tmp_path / "out" / "results.json").read_text())
    assert saved["index_seconds"] is not None  # built
    # A second run reuses the matching index instead of rebuilding it, with the same numbers.
    again = evaluate(DEMO, PipelineConfig(), tmp_path / "idx", ["dense"])
    assert again.index_seconds is None
    assert again.results[0].recall == data["results"][1]["recall"]
