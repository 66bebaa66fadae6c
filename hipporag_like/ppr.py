"""Personalized PageRank over the knowledge graph (python-igraph, PRPACK).

Pure functions over arrays and an igraph Graph: no I/O, no hidden state.
"""

from __future__ import annotations

import sys
from types import ModuleType

import numpy as np

from .errors import HippoError


def load_igraph() -> ModuleType:
    """python-igraph, imported without its plotting back end.

    Why: `import igraph` imports matplotlib.pyplot whenever matplotlib is installed (for
    `Graph.plot`, which this package never calls): 0.37 s, a third of a one-shot
    `hipporag-like query`. While igraph loads, matplotlib reads as absent to it (igraph keeps a
    stub for plotting only); afterwards matplotlib imports as usual. When either is already
    loaded nothing is changed."""
    hide = "igraph" not in sys.modules and "matplotlib" not in sys.modules
    if hide:
        sys.modules["matplotlib"] = None  # type: ignore[assignment]  # an import of it raises ImportError
    try:
        import igraph
    finally:
        if hide and sys.modules.get("matplotlib", False) is None:
            del sys.modules["matplotlib"]
    return igraph


def make_graph(n_nodes: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray):  # -> igraph.Graph
    """An undirected weighted igraph Graph."""
    ig = load_igraph()
    graph = ig.Graph(n=n_nodes, edges=np.column_stack([src, dst]).tolist(), directed=False)
    graph.es["weight"] = weight.tolist()
    return graph


def normalised_reset(reset: np.ndarray, n_nodes: int) -> np.ndarray:
    """The reset vector scaled to sum 1, after the checks every walk needs.

    Raises:
        HippoError: wrong length, a negative or non-finite entry, or a zero sum (no seeds).
    """
    reset = np.asarray(reset, dtype=np.float64)
    if reset.shape != (n_nodes,):
        raise HippoError(f"reset vector has length {reset.shape}, graph has {n_nodes} nodes")
    if not np.all(np.isfinite(reset)) or np.any(reset < 0):
        raise HippoError("reset vector has negative or non-finite entries")
    total = reset.sum()
    if total <= 0:
        raise HippoError("reset vector sums to zero: no seed nodes")
    return reset / total


def personalized_pagerank(graph, reset: np.ndarray, damping: float = 0.5) -> np.ndarray:
    """Stationary distribution of a walk that restarts at `reset` (normalised) with prob. 1 - damping.

    Raises:
        HippoError: reset has the wrong length, a negative or non-finite entry, or sums to zero.
    """
    reset = normalised_reset(reset, graph.vcount())
    scores = graph.personalized_pagerank(
        vertices=None,
        directed=False,
        damping=damping,
        reset=reset.tolist(),
        weights="weight" if graph.ecount() else None,
        implementation="prpack",
    )
    return np.asarray(scores, dtype=np.float64)
