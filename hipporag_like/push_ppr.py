"""Personalized PageRank by forward push: local, approximate, numpy/scipy only.

Why: the exact solver (igraph PRPACK, see ppr.py) costs time proportional to the whole graph
on every query. Forward push only visits the neighbourhood where the walk's mass actually goes,
so a query with a handful of seeds costs about the edges it touches, however large the graph.

Definition (the same as igraph's `personalized_pagerank(directed=False, damping=d, reset=s,
weights=w)`, checked against PRPACK in tests/test_push_ppr.py): at each step the walk restarts
at a node drawn from `s` with probability 1 - d, otherwise moves to a neighbour with
probability weight / weighted degree. A node with weighted degree 0 (dangling) sends its walk
back to `s` (PRPACK is called with the reset vector as its dangling distribution too). An
undirected self-loop counts twice in the degree, as in igraph. The result sums to 1.

Pure functions over arrays: no I/O, no hidden state.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .errors import HippoError
from .ppr import normalised_reset


@dataclass(frozen=True, eq=False)  # arrays: compare by identity, not elementwise
class WalkGraph:
    """An undirected weighted graph as CSR arrays (both directions stored) plus weighted degrees.

    Plain arrays so a caller can save them as .npy files, memory-map them back and wrap them
    with `from_arrays` without rebuilding anything.
    """

    indptr: np.ndarray  # int, n_nodes + 1
    indices: np.ndarray  # int, neighbour of each stored entry
    data: np.ndarray  # float64 or float32, weight of each stored entry
    degree: np.ndarray  # float64, weighted degree (row sums of data)

    @property
    def n_nodes(self) -> int:
        return len(self.indptr) - 1

    @classmethod
    def from_arrays(cls, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray) -> "WalkGraph":
        """Wrap CSR arrays (possibly memory-mapped) and compute the weighted degrees.

        Raises:
            HippoError: the arrays do not describe a CSR matrix.
        """
        indptr = np.asarray(indptr)
        indices = np.asarray(indices)
        data = np.asarray(data)
        if indptr.ndim != 1 or len(indptr) < 1 or indices.shape != data.shape or indices.ndim != 1:
            raise HippoError("graph arrays are not CSR: indptr, indices and data have mismatched shapes")
        if int(indptr[0]) != 0 or int(indptr[-1]) != len(data) or np.any(np.diff(indptr) < 0):
            raise HippoError("graph arrays are not CSR: indptr must rise from 0 to the number of entries")
        degree = np.zeros(len(indptr) - 1, dtype=np.float64)
        nonempty = np.flatnonzero(indptr[1:] > indptr[:-1])
        if len(nonempty):
            # reduceat sums from one start to the next; empty rows in between add nothing, and
            # the last non-empty row runs to the end of data, which is indptr[-1].
            degree[nonempty] = np.add.reduceat(data.astype(np.float64, copy=False), indptr[nonempty])
        return cls(indptr, indices, data, degree)


def transition_graph(n_nodes: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray) -> WalkGraph:
    """Build the undirected walk graph: each edge stored in both directions, duplicates summed.

    Zero-weight edges are dropped (they carry no walk). A self-loop ends up with twice its
    weight, as igraph counts it.

    Raises:
        HippoError: mismatched lengths, a node id out of range, or a negative/non-finite weight.
    """
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    weight = np.asarray(weight, dtype=np.float64)
    if not (src.shape == dst.shape == weight.shape) or src.ndim != 1:
        raise HippoError(f"edge arrays differ in length: src {src.shape}, dst {dst.shape}, weight {weight.shape}")
    if len(src) and (min(src.min(), dst.min()) < 0 or max(src.max(), dst.max()) >= n_nodes):
        raise HippoError(f"an edge names a node outside 0..{n_nodes - 1}")
    if not np.all(np.isfinite(weight)) or np.any(weight < 0):
        raise HippoError("edge weights must be finite and non-negative")
    rows = np.concatenate([src, dst])
    cols = np.concatenate([dst, src])
    vals = np.concatenate([weight, weight])
    matrix = sp.coo_matrix((vals, (rows, cols)), shape=(n_nodes, n_nodes)).tocsr()  # sums duplicates
    matrix.eliminate_zeros()
    matrix.sort_indices()
    return WalkGraph.from_arrays(matrix.indptr.astype(np.int64), matrix.indices.astype(np.int64), matrix.data)


def _row_positions(indptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions in `indices`/`data` of all entries of `rows`, and each row's length."""
    starts = indptr[rows].astype(np.int64)
    lengths = indptr[rows + 1].astype(np.int64) - starts
    total = int(lengths.sum())
    # position j of row i's block is starts[i] + j: a running count minus the block's offset.
    offsets = np.cumsum(lengths) - lengths
    positions = np.repeat(starts - offsets, lengths) + np.arange(total, dtype=np.int64)
    return positions, lengths


def push_ppr(
    graph: WalkGraph,
    reset: np.ndarray,
    damping: float = 0.5,
    epsilon: float = 1e-7,
    max_rounds: int = 200,
    stats: dict | None = None,
) -> np.ndarray:
    """Approximate personalized PageRank by synchronous forward push.

    Threshold rule: a node u is pushed while its residual r[u] > epsilon * max(k_u, 1), where
    k_u is its number of stored neighbours (unweighted, so the rule does not depend on the
    scale of the edge weights). Each push moves (1 - damping) * r[u] of the residual into the
    estimate, so all pushes together touch at most 1 / ((1 - damping) * epsilon) edges: the
    work depends on epsilon and on where the walk goes, not on the graph's size. Only nodes
    that just received mass are checked against the threshold, so no round scans the graph;
    the O(n) parts are allocating the residual/result vectors, validating `reset` and the
    final normalisation.

    Each round pushes every active node at once (vectorised over their CSR rows). At the end
    the leftover residual is credited as one more push would ((1 - damping) * r), so seeds
    that were never pushed still count, and the vector is scaled to sum 1 as igraph's is.
    The L1 error before scaling is at most damping * (leftover residual mass).

    `stats`, when given, is filled with rounds, pushes (node pushes), edges (entries
    traversed), touched (distinct nodes that ever held mass) and residual (leftover mass).

    Raises:
        HippoError: reset has the wrong length, a negative or non-finite entry, or sums to zero;
            damping not in [0, 1) or epsilon not positive.
    """
    n = graph.n_nodes
    seed = normalised_reset(reset, n)
    if not 0.0 <= damping < 1.0:
        raise HippoError(f"damping must be in [0, 1), got {damping}")
    if not epsilon > 0:
        raise HippoError(f"epsilon must be positive, got {epsilon}")
    indptr, indices, data, degree = graph.indptr, graph.indices, graph.data, graph.degree

    seeds = np.flatnonzero(seed)
    seed_mass = seed[seeds]
    estimate = np.zeros(n, dtype=np.float64)
    residual = seed  # normalised_reset returned a fresh array; `seeds` and `seed_mass` are taken
    # ever held mass: only for the `touched` statistic, so only kept when stats are asked for
    seen = np.zeros(n, dtype=bool) if stats is not None else None
    slot = np.full(n, -1, dtype=np.int64)  # scratch for deduplicating targets in O(targets)
    if seen is not None:
        seen[seeds] = True
    touched = len(seeds)
    candidates = seeds
    rounds = pushes = edges = 0

    while len(candidates) and rounds < max_rounds:
        counts = indptr[candidates + 1] - indptr[candidates]
        active = candidates[residual[candidates] > epsilon * np.maximum(counts, 1)]
        if not len(active):
            break
        rounds += 1
        pushes += len(active)
        mass = residual[active]
        residual[active] = 0.0
        estimate[active] += (1.0 - damping) * mass

        deg = degree[active]
        walking = deg > 0
        positions, lengths = _row_positions(indptr, active[walking])
        edges += len(positions)
        share = np.repeat(damping * mass[walking] / deg[walking], lengths)
        targets = indices[positions].astype(np.int64, copy=False)
        amounts = share * data[positions]
        dangling_mass = damping * mass[~walking].sum()
        if dangling_mass > 0:  # a dangling walk restarts from the seeds
            targets = np.concatenate([targets, seeds])
            amounts = np.concatenate([amounts, dangling_mass * seed_mass])

        # sum amounts per distinct target without an O(n) pass: first occurrence wins the slot
        slot[targets] = np.arange(len(targets))
        first = slot[targets] == np.arange(len(targets))
        unique = targets[first]
        slot[unique] = np.arange(len(unique))
        residual[unique] += np.bincount(slot[targets], weights=amounts, minlength=len(unique))
        slot[unique] = -1

        if seen is not None:
            fresh = unique[~seen[unique]]
            seen[fresh] = True
            touched += len(fresh)
        candidates = unique

    left = float(residual.sum())
    estimate += (1.0 - damping) * residual
    estimate /= estimate.sum()
    if stats is not None:
        stats.update(rounds=rounds, pushes=pushes, edges=edges, touched=touched, residual=left)
    return estimate



def power_ppr(graph: WalkGraph, reset: np.ndarray, damping: float = 0.5, tolerance: float = 1e-10,
              matrix: sp.csr_matrix | None = None) -> np.ndarray:
    """Personalized PageRank by power iteration over the CSR graph: PRPACK's answer (same walk,
    same dangling rule) to within `tolerance` in L1, in sparse products only.

    Why: igraph rebuilds its PRPACK graph on every call, which costs more than solving on graphs
    of tens of thousands of nodes. One step is x <- d (T x + (dangling mass of x) s) + (1 - d) s,
    with T the column-normalised adjacency: a map that shrinks every L1 distance by d, so from
    x = s (at most 2 from the answer) ceil(log(tolerance / 2) / log(d)) steps guarantee the
    tolerance (36 at d = 0.5) and no step needs a convergence test. Pass `matrix` (from
    `transition_matrix`) to reuse T across queries.

    Raises:
        HippoError: reset has the wrong length, a negative or non-finite entry, or sums to zero;
            damping not in [0, 1) or tolerance not in (0, 2).
    """
    if not 0.0 <= damping < 1.0:
        raise HippoError(f"damping must be in [0, 1), got {damping}")
    if not 0.0 < tolerance < 2.0:
        raise HippoError(f"tolerance must be in (0, 2), got {tolerance}")
    seeds = normalised_reset(reset, graph.n_nodes)
    transition = matrix if matrix is not None else transition_matrix(graph)
    dangling = np.flatnonzero(graph.degree <= 0)
    steps = 0 if damping == 0.0 else int(np.ceil(np.log(tolerance / 2.0) / np.log(damping)))
    scores = seeds.copy()
    for _ in range(steps):
        restart = 1.0 - damping + (damping * float(scores[dangling].sum()) if len(dangling) else 0.0)
        scores = transition @ scores
        scores *= damping
        scores += restart * seeds
    return scores / scores.sum()


def transition_matrix(graph: WalkGraph) -> sp.csr_matrix:
    """T[i, j] = w(i, j) / degree(j): one step of the walk as a CSR product (dangling columns are 0)."""
    n = graph.n_nodes
    inverse_degree = np.where(graph.degree > 0, 1.0 / np.where(graph.degree > 0, graph.degree, 1.0), 0.0)
    weights = np.asarray(graph.data, dtype=np.float64) * inverse_degree[np.asarray(graph.indices)]
    return sp.csr_matrix((weights, graph.indices, graph.indptr), shape=(n, n))
