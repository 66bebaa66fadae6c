"""hybrid-2hop (second_hop.py) on a hand-built two-hop corpus: the bridge article (the
director's) is reached only by the second step, from the facts of the first walk's passage."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from hipporag_like import Index
from hipporag_like.config import MODES, PipelineConfig
from hipporag_like.corpus import Passage
from hipporag_like.second_hop import passage_facts, second_walk

QUESTION = "Where was the director of the 1999 film Blind Harbour born?"
# (title, text, triples)
DOCS = [
    ("Blind Harbour", "Blind Harbour is a 1999 film directed by Orrin Vale, shot in Marlow Sound.",
     [["Blind Harbour", "is a", "1999 film"], ["Blind Harbour", "directed by", "Orrin Vale"], ["Blind Harbour", "shot in", "Marlow Sound"]]),
    ("Orrin Vale", "Orrin Vale is a filmmaker born in Kestrel Bay who trained as a painter.",
     [["Orrin Vale", "is a", "filmmaker"], ["Orrin Vale", "born in", "Kestrel Bay"], ["Orrin Vale", "trained as", "painter"]]),
    ("Marlow Sound", "Marlow Sound is a strait where many films were shot, including harbour dramas.",
     [["Marlow Sound", "is a", "strait"], ["films", "shot in", "Marlow Sound"]]),
    ("Harbour Lights", "Harbour Lights is a 2003 film about a blind harbour pilot, directed by a debut director born in Lisbon.",
     [["Harbour Lights", "is a", "2003 film"], ["Harbour Lights", "about", "blind harbour pilot"], ["debut director", "born in", "Lisbon"]]),
    ("Film directors", "Many film directors were born in port cities; the director of a film is often born near the sea.",
     [["film directors", "born in", "port cities"], ["director of a film", "born near", "sea"]]),
    ("Blind Harbour (novel)", "Blind Harbour is a novel whose author was born in Dunmere.",
     [["Blind Harbour", "is a", "novel"], ["author of Blind Harbour", "born in", "Dunmere"]]),
    ("Kestrel Bay", "Kestrel Bay is a fishing town on the north coast.",
     [["Kestrel Bay", "is a", "fishing town"], ["Kestrel Bay", "on", "north coast"]]),
    ("Lisbon", "Lisbon is the capital of Portugal, where many directors were born.",
     [["Lisbon", "capital of", "Portugal"], ["directors", "born in", "Lisbon"]]),
]


def build(folder: Path, **retrieval) -> Index:
    passages = [Passage.make(title, text) for title, text, _ in DOCS]
    openie = folder.parent / f"{folder.name}-openie.json"
    docs = [{"passage": f"{t}\n{x}", "extracted_entities": sorted({p for tr in triples for p in (tr[0], tr[2])}), "extracted_triples": triples}
            for t, x, triples in DOCS]
    openie.write_text(json.dumps({"docs": docs}))
    config = PipelineConfig().with_overrides("extractor", kind="openie", openie_file=str(openie))
    Index.build(passages, folder, config).close()
    index = Index.open(folder)
    index.retriever.config = replace(index.retriever.config, **retrieval)
    return index


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    # One fact seeds the first walk: (Blind Harbour, is a, 1999 film); the director is one hop on.
    # The title hop and the question's title seeds, which also bring him closer (test_title_hop.py,
    # test_question_titles.py), are off: this tests the second hop alone.
    with build(tmp_path_factory.mktemp("two-hop") / "idx", hybrid_fact_top_k=1, title_hop_weight=0.0,
               title_seed_weight=0.0) as opened:
        yield opened


def titles(result) -> list[str]:
    return [p.title for p in result.passages]


def test_mode_is_listed():
    assert "hybrid-2hop" in MODES


def test_the_bridge_article_is_reached_only_by_the_second_step(index):
    first = index.retrieve(QUESTION, k=8, mode="hybrid")
    second = index.retrieve(QUESTION, k=8, mode="hybrid-2hop")
    assert "orrin vale" not in {s.phrase for s in first.seed_phrases}
    assert titles(first).index("Orrin Vale") >= 5  # look-alikes outrank the director's article
    assert "Orrin Vale" in titles(second)[:3]
    assert titles(second)[0] == titles(first)[0]  # the first walk's best passage stays first
    assert ("blind harbour", "directed by", "orrin vale") in {(f.subject, f.relation, f.object) for f in second.facts}
    assert "orrin vale" in {s.phrase for s in second.seed_phrases}


def test_one_question_encoding_and_two_walks(index, monkeypatch):
    retriever = index.retriever
    texts, walks = [], []
    embed, walk = retriever.embedder.embed, retriever.walk
    monkeypatch.setattr(retriever.embedder, "embed", lambda batch: texts.extend(batch) or embed(batch))
    monkeypatch.setattr(retriever, "walk", lambda reset: walks.append(reset) or walk(reset))
    index.retrieve(QUESTION, k=5, mode="hybrid-2hop")
    assert texts == [QUESTION] and len(walks) == 2


def test_without_a_new_phrase_the_first_walk_stands(index):
    retriever = index.retriever
    vector = retriever.embedder.embed([QUESTION])[0]
    dense = retriever.dense_scores(vector)
    seeds = retriever.fact_seeds(QUESTION, vector, dense, retriever.relevance(QUESTION, dense))
    first = retriever.walk(seeds.reset)[: retriever.n_passages]
    seeds.phrase_weights.update({p: 1.0 for p in range(retriever.tables.n_phrases)})  # every phrase already a seed
    assert second_walk(retriever, QUESTION, vector, seeds, first) is first


def test_passage_facts_inverts_fact_passages(index):
    retriever = index.retriever
    indptr, facts = passage_facts(retriever)
    for passage in range(retriever.n_passages):
        mine = set(facts[indptr[passage] : indptr[passage + 1]].tolist())
        assert mine == {f for f in range(len(retriever.tables.fact_point)) if passage in retriever.fact_passages(f)}
    assert np.all(np.diff(indptr) >= 0)
