"""Forward-push PPR (push_ppr.py) against igraph's exact PRPACK solver (ppr.py)."""

from __future__ import annotations

import numpy as np
import pytest

from hipporag_like.errors import HippoError
from hipporag_like.ppr import make_graph, personalized_pagerank
from hipporag_like.push_ppr import WalkGraph, push_ppr, transition_graph


def _edges(pairs, weights=None):
    src = np.array([a for a, _ in pairs], dtype=np.int64)
    dst = np.array([b for _, b in pairs], dtype=np.int64)
    weight = np.ones(len(pairs)) if weights is None else np.asarray(weights, dtype=np.float64)
    return src, dst, weight


def _both(n, pairs, weights, reset, damping=0.5, epsilon=1e-12):
    src, dst, weight = _edges(pairs, weights)
    exact = personalized_pagerank(make_graph(n, src, dst, weight), np.asarray(reset, float), damping=damping)
    approx = push_ppr(transition_graph(n, src, dst, weight), np.asarray(reset, float), damping=damping, epsilon=epsilon)
    return approx, exact


SMALL_GRAPHS = {
    "path": (5, [(0, 1), (1, 2), (2, 3), (3, 4)], None, [1, 0, 0, 0, 0]),
    "star": (7, [(0, i) for i in range(1, 7)], None, [0, 0, 1, 0, 0, 0, 2]),
    "isolated and dangling seed": (5, [(0, 1), (1, 2), (2, 3)], None, [1, 0, 0, 0, 1]),
    "only a dangling seed": (5, [(0, 1), (1, 2), (2, 3)], None, [0, 0, 0, 0, 1]),
    "weighted": (5, [(0, 1), (1, 2), (2, 0), (2, 3), (3, 4)], [0.2, 3.0, 1.5, 0.7, 9.0], [0.3, 0, 0, 0.7, 0]),
    "duplicate edges": (4, [(0, 1), (1, 0), (0, 1), (1, 2), (2, 3)], [1.0, 2.0, 0.5, 1.0, 1.0], [0, 0, 0, 1]),
    "self-loop": (3, [(0, 1), (1, 1), (1, 2)], [1.0, 3.0, 1.0], [1, 0, 0]),
    "zero-weight edge": (4, [(0, 1), (1, 2), (2, 3)], [1.0, 0.0, 1.0], [1, 0, 0, 1]),
}


@pytest.mark.parametrize("name", list(SMALL_GRAPHS))
@pytest.mark.parametrize("damping", [0.5, 0.85])
def test_small_graphs_match_igraph(name, damping):
    n, pairs, weights, reset = SMALL_GRAPHS[name]
    approx, exact = _both(n, pairs, weights, reset, damping=damping)
    assert np.abs(approx - exact).sum() < 1e-5
    assert approx.sum() == pytest.approx(1.0)


def test_duplicates_are_summed():
    merged = transition_graph(3, *_edges([(0, 1), (1, 2)], [3.0, 1.0]))
    split = transition_graph(3, *_edges([(0, 1), (1, 0), (1, 2)], [1.0, 2.0, 1.0]))
    np.testing.assert_array_equal(merged.indptr, split.indptr)
    np.testing.assert_array_equal(merged.indices, split.indices)
    np.testing.assert_allclose(merged.data, split.data)
    np.testing.assert_allclose(merged.degree, [3.0, 4.0, 1.0])


def test_from_arrays_handles_empty_rows_and_memory_maps(tmp_path):
    built = transition_graph(6, *_edges([(1, 2), (2, 4), (4, 1)], [1.0, 2.0, 4.0]))  # rows 0, 3, 5 empty
    np.testing.assert_allclose(built.degree, [0.0, 5.0, 3.0, 0.0, 6.0, 0.0])
    for field in ("indptr", "indices", "data"):
        np.save(tmp_path / f"{field}.npy", getattr(built, field).astype(np.float32 if field == "data" else np.int64))
    loaded = WalkGraph.from_arrays(*(np.load(tmp_path / f"{f}.npy", mmap_mode="r") for f in ("indptr", "indices", "data")))
    np.testing.assert_allclose(loaded.degree, built.degree)
    reset = np.array([0, 1.0, 0, 0, 0, 1.0])
    np.testing.assert_allclose(push_ppr(loaded, reset, epsilon=1e-12), push_ppr(built, reset, epsilon=1e-12), atol=1e-6)


def test_from_arrays_rejects_broken_csr():
    with pytest.raises(HippoError):
        WalkGraph.from_arrays(np.array([0, 2, 1]), np.array([1, 0]), np.array([1.0, 1.0]))
    with pytest.raises(HippoError):
        WalkGraph.from_arrays(np.array([0, 1, 3]), np.array([1, 0]), np.array([1.0, 1.0]))


def _power_law_graph(n: int, links_per_node: int, rng: np.random.Generator):
    """Preferential attachment: each new node links to endpoints drawn from all earlier edge ends."""
    m = links_per_node
    ends = np.empty(2 * m * n, dtype=np.int64)
    ends[:m] = np.arange(m)
    filled = m
    src, dst = [], []
    for node in range(m, n):
        picked = ends[rng.integers(0, filled, m)]
        src.extend([node] * m)
        dst.extend(picked.tolist())
        ends[filled : filled + m] = picked
        ends[filled + m : filled + 2 * m] = node
        filled += 2 * m
    return np.array(src), np.array(dst), rng.uniform(0.5, 2.0, len(src))


@pytest.fixture(scope="module")
def power_law():
    rng = np.random.default_rng(20240607)
    n = 5000
    src, dst, weight = _power_law_graph(n, 2, rng)
    reset = np.zeros(n)
    reset[rng.choice(n, 8, replace=False)] = rng.uniform(0.5, 1.0, 8)
    exact = personalized_pagerank(make_graph(n, src, dst, weight), reset)
    return transition_graph(n, src, dst, weight), reset, exact


def test_power_law_graph_top20_and_l1(power_law):
    graph, reset, exact = power_law
    coarse = push_ppr(graph, reset, epsilon=1e-6)
    assert set(np.argsort(-coarse)[:20]) == set(np.argsort(-exact)[:20])
    # With the degree-scaled threshold the leftover residual is bounded by epsilon * (stored
    # entries touched), so an L1 under 1e-3 on this graph takes epsilon 1e-7 (1e-6 gives ~1e-2).
    fine = push_ppr(graph, reset, epsilon=1e-7)
    assert set(np.argsort(-fine)[:20]) == set(np.argsort(-exact)[:20])
    assert np.abs(fine - exact).sum() < 1e-3
    assert np.abs(coarse - exact).sum() < 2e-2


def test_larger_epsilon_touches_fewer_nodes(power_law):
    graph, reset, _ = power_law
    loose, tight = {}, {}
    push_ppr(graph, reset, epsilon=1e-4, stats=loose)
    push_ppr(graph, reset, epsilon=1e-7, stats=tight)
    assert loose["touched"] < tight["touched"]
    assert loose["edges"] < tight["edges"]
    assert loose["pushes"] < tight["pushes"]
    assert loose["residual"] > tight["residual"]
    # the locality bound: every push removes (1 - damping) * epsilon * k_u of residual mass
    assert loose["edges"] <= 1 / (0.5 * 1e-4)


def test_max_rounds_still_counts_unpushed_seeds():
    graph = transition_graph(3, *_edges([(0, 1), (1, 2)]))
    stats: dict = {}
    scores = push_ppr(graph, np.array([1.0, 0.0, 1.0]), max_rounds=0, stats=stats)
    assert stats["rounds"] == 0
    np.testing.assert_allclose(scores, [0.5, 0.0, 0.5])


@pytest.mark.parametrize(
    "reset, message",
    [
        (np.ones(3), "length"),
        (np.array([1.0, -1.0, 0.0, 0.0]), "negative"),
        (np.array([1.0, np.nan, 0.0, 0.0]), "non-finite"),
        (np.array([1.0, np.inf, 0.0, 0.0]), "non-finite"),
        (np.zeros(4), "sums to zero"),
    ],
)
def test_bad_reset_vectors(reset, message):
    graph = transition_graph(4, *_edges([(0, 1), (2, 3)]))
    with pytest.raises(HippoError, match=message) as caught:
        push_ppr(graph, reset)
    assert "\n" not in str(caught.value)


def test_bad_edges_and_parameters():
    with pytest.raises(HippoError):
        transition_graph(3, *_edges([(0, 3)]))
    with pytest.raises(HippoError):
        transition_graph(3, *_edges([(0, 1)], [-1.0]))
    with pytest.raises(HippoError):
        transition_graph(3, np.array([0, 1]), np.array([1]), np.array([1.0]))
    graph = transition_graph(2, *_edges([(0, 1)]))
    with pytest.raises(HippoError):
        push_ppr(graph, np.array([1.0, 0.0]), damping=1.0)
    with pytest.raises(HippoError):
        push_ppr(graph, np.array([1.0, 0.0]), epsilon=0.0)


@pytest.mark.parametrize("name", list(SMALL_GRAPHS))
@pytest.mark.parametrize("damping", [0.5, 0.85])
def test_power_iteration_matches_igraph_on_small_graphs(name, damping):
    from hipporag_like.push_ppr import power_ppr

    n, pairs, weights, reset = SMALL_GRAPHS[name]
    src, dst, weight = _edges(pairs, weights)
    exact = personalized_pagerank(make_graph(n, src, dst, weight), np.asarray(reset, float), damping=damping)
    power = power_ppr(transition_graph(n, src, dst, weight), np.asarray(reset, float), damping=damping)
    assert np.abs(power - exact).sum() < 1e-8
    assert power.sum() == pytest.approx(1.0)


def test_power_iteration_matches_igraph_on_a_power_law_graph(power_law):
    from hipporag_like.push_ppr import power_ppr, transition_matrix

    graph, reset, exact = power_law
    power = power_ppr(graph, reset, matrix=transition_matrix(graph))
    assert np.abs(power - exact).sum() < 1e-8
    assert list(np.argsort(-power)[:50]) == list(np.argsort(-exact)[:50])
    with pytest.raises(HippoError, match="damping"):
        power_ppr(graph, reset, damping=1.0)
    with pytest.raises(HippoError):
        power_ppr(graph, np.zeros(graph.n_nodes))
