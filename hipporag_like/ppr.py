"""Personalized PageRank over the knowledge graph (python-igraph, PRPACK).

Pure functions over arrays and an igraph Graph: no I/O, no hidden state.
"""

from __future__ import annotations

import numpy as np

from .errors import HippoError


def make_graph(n_nodes: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray):  # -> igraph.Graph
    """An undirected weighted igraph Graph."""
    import igraph as ig

    graph = ig.Graph(n=n_nodes, edges=np.column_stack([src, dst]).tolist(), directed=False)
    graph.es["weight"] = weight.tolist()
    return graph


def personalized_pagerank(graph, reset: np.ndarray, damping: float = 0.5) -> np.ndarray:
    """Stationary distribution of a walk that restarts at `reset` (normalised) with prob. 1 - damping.

    Raises:
        HippoError: reset has the wrong length, a negative or non-finite entry, or sums to zero.
    """
    reset = np.asarray(reset, dtype=np.float64)
    if reset.shape != (graph.vcount(),):
        raise HippoError(f"reset vector has length {reset.shape}, graph has {graph.vcount()} nodes")
    if not np.all(np.isfinite(reset)) or np.any(reset < 0):
        raise HippoError("reset vector has negative or non-finite entries")
    total = reset.sum()
    if total <= 0:
        raise HippoError("reset vector sums to zero: no seed nodes")
    scores = graph.personalized_pagerank(
        vertices=None,
        directed=False,
        damping=damping,
        reset=(reset / total).tolist(),
        weights="weight" if graph.ecount() else None,
        implementation="prpack",
    )
    return np.asarray(scores, dtype=np.float64)
