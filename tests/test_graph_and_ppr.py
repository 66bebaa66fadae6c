"""Graph construction checked by hand, and PPR on graphs whose answer is known."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from scipy import sparse

from hipporag_like.errors import HippoError
from hipporag_like.extraction.base import Extraction
from hipporag_like.config import GraphConfig
from hipporag_like.tables import Tables, add_synonyms, batch_rows, derive, merge, relation_pairs
from hipporag_like.ppr import make_graph, personalized_pagerank
from hipporag_like.ranking import fact_phrase_weights, min_max, top_k

TINY = [
    Extraction("p0", ("Orrin Hale", "Velmora"), (("Orrin Hale", "born in", "Velmora"), ("Orrin Hale", "founded", "the Tidewater Institute"))),
    Extraction("p1", ("Tidewater Institute",), (("Tidewater Institute", "located in", "Corvessa"), ("Orrin Hale", "founded", "Tidewater Institute"))),
]


def build(extractions, config=GraphConfig(), titles=("", ""), synonyms=()):
    """The write path's pure core on its own: batch rows merged into empty tables, then derived."""
    batch = batch_rows(extractions, list(titles), config)
    points = np.arange(len(batch.phrase_keys), dtype=np.int64)
    facts = np.arange(len(batch.fact_triples), dtype=np.int64)
    merged = merge(Tables.empty(), batch, len(extractions), points, facts, np.zeros(0, np.int64))
    tables = merged.tables
    if synonyms:
        a, b, score = zip(*synonyms)
        tables = add_synonyms(tables, np.array(a), np.array(b), np.array(score))
    derived, counts = derive(tables, config.title_edge_weight)
    return batch, tables, derived, counts


def edges_of(derived, n_nodes: int) -> dict[tuple[int, int], float]:
    matrix = sparse.csr_matrix((derived.graph_weight, derived.graph_indices, derived.graph_indptr), shape=(n_nodes, n_nodes))
    coo = sparse.triu(matrix).tocoo()
    return {(int(r), int(c)): float(w) for r, c, w in zip(coo.row, coo.col, coo.data)}


def test_batch_rows_normalise_and_count():
    batch, tables, derived, _ = build(TINY)
    assert batch.phrase_keys == ["orrin hale", "velmora", "tidewater institute", "corvessa"]
    # "the Tidewater Institute" and "Tidewater Institute" are one fact after normalising.
    assert batch.fact_triples == [
        ("orrin hale", "born in", "velmora"),
        ("orrin hale", "founded", "tidewater institute"),
        ("tidewater institute", "located in", "corvessa"),
    ]
    assert sorted(zip(tables.mention_passage.tolist(), tables.mention_phrase.tolist())) == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 2), (1, 3)]
    fact_passages = [derived.fact_passages[derived.fact_indptr[f]:derived.fact_indptr[f + 1]].tolist() for f in range(3)]
    assert fact_passages == [[0], [0, 1], [1]]
    a, b, count = relation_pairs(tables)
    assert dict(zip(zip(a.tolist(), b.tolist()), count.tolist())) == {(0, 1): 1.0, (0, 2): 2.0, (2, 3): 1.0}
    np.testing.assert_allclose(tables.specificity(), [0.5, 1.0, 0.5, 1.0])


def test_entity_nodes_can_be_left_out():
    extraction = [Extraction("p0", ("Lonely Entity",), (("a", "r", "b"),))]
    with_entities = build(extraction, GraphConfig(entity_nodes=True), titles=[""])[0]
    without = build(extraction, GraphConfig(entity_nodes=False), titles=[""])[0]
    assert "lonely entity" in with_entities.phrase_keys and "lonely entity" not in without.phrase_keys


def test_edges_by_kind_and_weight():
    _, _, derived, counts = build(TINY, synonyms=[(1, 3, 0.9), (0, 1, 0.95)])
    assert edges_of(derived, 6) == {
        (2, 3): 1.0, (2, 4): 2.0, (4, 5): 1.0,  # relations, weight = times extracted
        (0, 2): 1.0, (1, 2): 1.0, (0, 3): 1.0, (0, 4): 1.0, (1, 4): 1.0, (1, 5): 1.0,  # passage -- phrase
        (3, 5): float(np.float32(0.9)),  # synonymy (stored in float32, as cosines come); (0, 1) is already a relation edge: not doubled
    }
    assert counts == {"relation": 3, "passage": 6, "synonymy": 1}


def test_a_removed_passage_takes_its_facts_and_phrases_with_it():
    batch, tables, _, _ = build(TINY)
    merged = merge(tables, batch_rows([], [], GraphConfig()), 0, np.zeros(0, np.int64), np.zeros(0, np.int64), np.array([1]))
    assert merged.tables.passage_live.tolist() == [True, False]
    assert merged.tables.phrase_live().tolist() == [True, True, True, False]  # corvessa was only in passage 1
    assert merged.tables.fact_live().tolist() == [True, True, False]
    assert merged.gone_phrases == 1


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
    batch, _, derived, _ = build(TINY, GraphConfig(title_edge_weight=10.0), titles=["Orrin Hale", "Corvessa Harbour"])
    # The second title was in no triple: it becomes a phrase node of its passage.
    keys = batch.phrase_keys
    assert "corvessa harbour" in keys
    edges = edges_of(derived, 2 + len(keys))
    assert edges[(0, 2 + keys.index("orrin hale"))] == 10.0
    assert edges[(1, 2 + keys.index("orrin hale"))] == 1.0  # mentioned, not its subject
    assert edges[(1, 2 + keys.index("corvessa harbour"))] == 10.0
    untitled = build(TINY, GraphConfig(title_edge_weight=0.0), titles=["Orrin Hale", "Corvessa Harbour"])[0]
    assert "corvessa harbour" not in untitled.phrase_keys


def test_sorting_set_helpers_agree_with_numpy():
    from hipporag_like.tables import contains_sorted, sorted_unique

    rng = np.random.default_rng(3)
    for size in (0, 1, 2, 7, 500):
        keys = rng.integers(0, 60, size)
        assert np.array_equal(sorted_unique(keys), np.unique(keys))
        haystack = np.unique(rng.integers(0, 80, size))
        needles = rng.integers(-5, 90, size)
        assert np.array_equal(contains_sorted(haystack, needles), np.isin(needles, haystack))


def test_keep_top_zeroes_all_but_the_largest():
    from hipporag_like.ranking import keep_top

    values = np.array([0.1, 0.0, 0.7, 0.3, 0.7, 0.2])
    assert keep_top(values, 2).tolist() == [0.0, 0.0, 0.7, 0.0, 0.7, 0.0]
    assert keep_top(values, 3).tolist() == [0.0, 0.0, 0.7, 0.3, 0.7, 0.0]
    assert keep_top(values, 0).tolist() == values.tolist()  # 0 keeps every value
    assert keep_top(values, 10).tolist() == values.tolist()
    assert keep_top(np.array([0.5, 0.5, 0.5]), 1).tolist() == [0.5, 0.5, 0.5]  # ties at the cut stay


def test_top_k_selects_then_sorts_like_a_full_stable_sort() -> None:
    """Large arrays take the select-then-sort path; ties and -inf must come out as a full
    stable sort orders them (by index)."""
    rng = np.random.default_rng(7)
    for trial in range(400):
        n = int(rng.integers(1, 600))
        scores = rng.integers(0, 4, n).astype(float) if trial % 2 else rng.random(n)
        scores[rng.random(n) < 0.2] = -np.inf
        if trial % 5 == 0:  # a dense ranking's shape: a few real scores above one long floor
            scores = np.where(rng.random(n) < 0.1, rng.random(n) + 1.0, 0.5)
        for k in (0, 1, 3, 10, 33, 50, n):
            assert top_k(scores, k).tolist() == np.argsort(-scores, kind="stable")[: min(k, n)].tolist()
    assert top_k(np.full(5, -np.inf), 3).tolist() == [0, 1, 2]  # only -inf left: by index, none twice


def test_keep_top_cuts_at_the_kth_largest_with_a_long_floor() -> None:
    from hipporag_like.ranking import keep_top, kth_largest

    rng = np.random.default_rng(3)
    values = np.where(rng.random(5000) < 0.1, rng.random(5000) + 1.0, 0.25)
    for k in (1, 7, 200, 499, 500, 501, 4999):
        assert kth_largest(values, k) == np.sort(values)[::-1][k - 1]
    kept = keep_top(values, 200)
    assert np.count_nonzero(kept) == 200 and kept.max() == values.max()


def test_igraph_loads_without_matplotlib_which_still_imports_afterwards():
    """load_igraph keeps igraph from importing matplotlib.pyplot (0.37 s per query process);
    the walk must not change, and matplotlib must import as usual afterwards (eval plots)."""
    import subprocess
    import sys

    code = (
        "import sys, numpy as np\n"
        "from hipporag_like.ppr import load_igraph, make_graph, personalized_pagerank\n"
        "ig = load_igraph()\n"
        "assert 'matplotlib' not in sys.modules, 'igraph pulled matplotlib in'\n"
        "g = make_graph(4, np.array([0, 1, 2]), np.array([1, 2, 3]), np.array([1.0, 2.0, 1.0]))\n"
        "p = personalized_pagerank(g, np.array([1.0, 0, 0, 0]), 0.5)\n"
        "import matplotlib\n"
        "matplotlib.use('Agg')\n"
        "import matplotlib.pyplot as plt\n"
        "plt.figure()\n"
        "print(' '.join(f'{x:.12f}' for x in p))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    import igraph

    graph = igraph.Graph(n=4, edges=[(0, 1), (1, 2), (2, 3)], directed=False)
    want = graph.personalized_pagerank(damping=0.5, reset=[1.0, 0, 0, 0], weights=[1.0, 2.0, 1.0], implementation="prpack")
    assert [float(x) for x in done.stdout.split()] == pytest.approx(want, abs=1e-12)
