"""Graph construction checked by hand, and PPR on graphs whose answer is known."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from hipporag_like.errors import HippoError
from hipporag_like.extraction.base import Extraction
from hipporag_like.graph import PASSAGE, RELATION, SYNONYMY, GraphConfig, build_edges, collect, synonym_pairs
from hipporag_like.ppr import make_graph, personalized_pagerank
from hipporag_like.ranking import fact_phrase_weights, min_max, top_k

TINY = [
    Extraction("p0", ("Orrin Hale", "Velmora"), (("Orrin Hale", "born in", "Velmora"), ("Orrin Hale", "founded", "the Tidewater Institute"))),
    Extraction("p1", ("Tidewater Institute",), (("Tidewater Institute", "located in", "Corvessa"), ("Orrin Hale", "founded", "Tidewater Institute"))),
]


def test_collect_normalises_and_counts():
    phrases, facts, relations = collect(TINY, GraphConfig())
    assert phrases.keys == ["orrin hale", "velmora", "tidewater institute", "corvessa"]
    assert phrases.passages == [[0, 1], [0], [0, 1], [1]]
    # "the Tidewater Institute" and "Tidewater Institute" are one fact after normalising.
    assert facts.triples == [
        ("orrin hale", "born in", "velmora"),
        ("orrin hale", "founded", "tidewater institute"),
        ("tidewater institute", "located in", "corvessa"),
    ]
    assert facts.passages == [[0], [0, 1], [1]]
    assert relations == {(0, 1): 1.0, (0, 2): 2.0, (2, 3): 1.0}
    np.testing.assert_allclose(phrases.specificity(), [0.5, 1.0, 0.5, 1.0])


def test_entity_nodes_can_be_left_out():
    extraction = [Extraction("p0", ("Lonely Entity",), (("a", "r", "b"),))]
    with_entities, _, _ = collect(extraction, GraphConfig(entity_nodes=True))
    without, _, _ = collect(extraction, GraphConfig(entity_nodes=False))
    assert "lonely entity" in with_entities.keys and "lonely entity" not in without.keys


def test_edges_by_kind_and_weight():
    phrases, _, relations = collect(TINY, GraphConfig())
    edges = build_edges(2, phrases, relations, {(1, 3): 0.9, (0, 1): 0.95})
    rows = sorted(zip(edges.src.tolist(), edges.dst.tolist(), edges.weight.tolist(), edges.kind.tolist()))
    assert rows == sorted([
        (2, 3, 1.0, RELATION), (2, 4, 2.0, RELATION), (4, 5, 1.0, RELATION),
        (0, 2, 1.0, PASSAGE), (1, 2, 1.0, PASSAGE), (0, 3, 1.0, PASSAGE), (0, 4, 1.0, PASSAGE), (1, 4, 1.0, PASSAGE), (1, 5, 1.0, PASSAGE),
        (3, 5, 0.9, SYNONYMY),  # (0, 1) is already a relation edge: not doubled
    ])
    assert edges.count_by_kind() == {"relation": 3, "passage": 6, "synonymy": 1}


def test_synonym_pairs_by_threshold():
    vectors = np.array([[1, 0], [0.99, 0.141], [0, 1], [0.6, 0.8]], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    # cosines: (0,1) 0.990, (2,3) 0.8, (1,3) 0.707, (0,3) 0.6, (1,2) 0.141, (0,2) 0
    pairs = synonym_pairs(vectors, threshold=0.75, block=2)
    assert set(pairs) == {(0, 1), (2, 3)}
    assert pairs[(0, 1)] == pytest.approx(0.990, abs=1e-3)
    assert set(synonym_pairs(vectors, threshold=0.5, block=3)) == {(0, 1), (2, 3), (1, 3), (0, 3)}
    assert synonym_pairs(vectors[:1], threshold=0.5) == {}


def test_ppr_matches_networkx_on_a_small_graph():
    src = np.array([0, 1, 2, 2, 3])
    dst = np.array([1, 2, 3, 4, 4])
    weight = np.array([1.0, 2.0, 1.0, 0.5, 3.0])
    graph = make_graph(5, src, dst, weight)
    reset = np.array([1.0, 0, 0, 0, 1.0])
    ours = personalized_pagerank(graph, reset, damping=0.5)
    g = nx.Graph()
    g.add_weighted_edges_from(zip(src.tolist(), dst.tolist(), weight.tolist()))
    theirs = nx.pagerank(g, alpha=0.5, personalization={0: 0.5, 4: 0.5}, weight="weight", tol=1e-12)
    np.testing.assert_allclose(ours, [theirs[i] for i in range(5)], atol=1e-6)
    assert ours.sum() == pytest.approx(1.0)


def test_ppr_walks_to_the_bridged_passage():
    # Two passages share a bridge phrase; the seed touches only passage 0's own phrase.
    # nodes: 0 = passage A, 1 = passage B, 2 = passage C (unrelated), 3 = seed phrase, 4 = bridge, 5 = other
    src = np.array([0, 0, 1, 2])
    dst = np.array([3, 4, 4, 5])
    graph = make_graph(6, src, dst, np.ones(4))
    scores = personalized_pagerank(graph, np.array([0, 0, 0, 1.0, 0, 0]), damping=0.5)
    assert scores[0] > scores[1] > scores[2] == 0.0


@pytest.mark.parametrize("reset", [np.zeros(3), np.array([1.0, -1.0, 0]), np.array([np.nan, 1, 0]), np.ones(2)])
def test_ppr_rejects_bad_reset(reset):
    graph = make_graph(3, np.array([0]), np.array([1]), np.ones(1))
    with pytest.raises(HippoError):
        personalized_pagerank(graph, reset)


def test_fact_phrase_weights_by_hand():
    # fact 0: phrases (0, 1); fact 1: phrases (1, 2); specificity 1, 0.5, 0.25
    weights = fact_phrase_weights([(0, 0.8), (1, 0.4)], [(0, 1), (1, 2)], np.array([1.0, 0.5, 0.25]))
    np.testing.assert_allclose(weights, [0.8, (0.8 * 0.5 + 0.4 * 0.5) / 2, 0.4 * 0.25])


def test_ranking_helpers():
    np.testing.assert_allclose(min_max(np.array([2.0, 4.0, 3.0])), [0, 1, 0.5])
    np.testing.assert_allclose(min_max(np.array([3.0, 3.0])), [1, 1])
    assert top_k(np.array([0.1, 0.9, 0.5]), 2).tolist() == [1, 2]


def test_title_edges_weigh_a_passage_to_its_own_subject():
    config = GraphConfig(title_edge_weight=10.0)
    phrases, _, relations = collect(TINY, config, titles=["Orrin Hale", "Corvessa Harbour"])
    # The second title was in no triple: it becomes a phrase node of its passage.
    assert "corvessa harbour" in phrases.keys
    assert phrases.title_phrase == [phrases.keys.index("orrin hale"), phrases.keys.index("corvessa harbour")]
    edges = build_edges(2, phrases, relations, {}, config.title_edge_weight)
    weights = {(int(s), int(d)): w for s, d, w, k in zip(edges.src, edges.dst, edges.weight, edges.kind) if k == PASSAGE}
    assert weights[(0, 2 + phrases.keys.index("orrin hale"))] == 10.0
    assert weights[(1, 2 + phrases.keys.index("orrin hale"))] == 1.0  # mentioned, not its subject
    assert weights[(1, 2 + phrases.keys.index("corvessa harbour"))] == 10.0
    untitled, _, _ = collect(TINY, GraphConfig(title_edge_weight=0.0), titles=["Orrin Hale", "Corvessa Harbour"])
    assert "corvessa harbour" not in untitled.keys
