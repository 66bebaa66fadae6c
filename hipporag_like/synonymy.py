"""Synonym pairs among phrase embeddings: every pair of L2-normalised rows with cosine >= threshold.

Pure numpy, no per-pair Python loops. Three kernels return the same `Pairs` layout
(index arrays `a < b`, sorted by (a, b), with their float32 cosines):

- `exact_pairs`: all N^2/2 dot products, tiled so memory stays at block x block floats.
  Its cost grows as O(N^2 * dim): about a second at 20k phrases, but each doubling of the
  vocabulary quadruples it. On 2 CPU cores 100k phrases took 20-70 s (exact) against 4-7 s
  (approximate), and a million would take the better part of an hour (eval/synonymy.md).
- `cross_pairs`: the exact pairs between a new batch and the phrases already indexed, for
  incremental inserts (threshold-only pairs among old phrases never change).
- `approximate_pairs`: an inverted-file (IVF) search. Spherical k-means puts each vector in
  the cluster of its nearest centroid ("member"); each vector also "probes" its `n_probe`
  nearest centroids and is compared only with the members of those clusters. The work is
  about N * n_probe * N / n_lists dot products instead of N^2 / 2, and with n_lists ~ 4 sqrt(N)
  it grows as N^1.5. Pairs above a high threshold (0.8) are close in angle, so they nearly
  always share a centroid or sit in neighbouring ones: the default `n_probe` keeps pair
  recall above 99% against `exact_pairs` (tests/test_synonymy.py, eval/bench_synonymy.py).
  It never returns a false pair: every score is a real dot product checked against the
  threshold.

- `ivf_cross_pairs`: the pairs between a new batch and a large old set through the old set's
  stored inverted file (`PhraseIVF`, saved with the segment that holds the old phrases). A
  new vector probes its `n_probe` nearest old lists and is compared only with their members,
  about n_probe / n_lists of the old rows, where exact `cross_pairs` compares it with all of
  them (3x faster at 99,000 old phrases, eval/synonymy.md, and the gap widens with size: by the
  measured rate, exact would take about 1.3 s per 100 passages at 500,000 MiniLM phrases).

`synonym_pairs` picks exact below `exact_below` rows (there it is fast and has perfect
recall) and approximate above.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_THRESHOLD = 0.8
DEFAULT_N_PROBE = 16
# Lists a new phrase probes in an old segment's inverted file: only one side probes there (the
# old rows sit in their nearest list), so it probes more than the symmetric self-join does.
DEFAULT_CROSS_PROBE = 48
# Below this many rows a set is compared exactly; at or above it, by an inverted file.
EXACT_BELOW = 20000
# Budget, in matrix cells, for one similarity tile inside the IVF join (16 MB of float32).
_TILE_CELLS = 1 << 22


@dataclass(frozen=True, eq=False)
class Pairs:
    """Pairs (a[k], b[k]) with cosine score[k]; a < b (within one set) and sorted by (a, b)."""

    a: np.ndarray  # int64
    b: np.ndarray  # int64
    score: np.ndarray  # float32

    def __len__(self) -> int:
        return int(self.a.shape[0])

    def to_dict(self) -> dict[tuple[int, int], float]:
        """The {(a, b): score} mapping that graph.synonym_pairs returns."""
        return dict(zip(zip(self.a.tolist(), self.b.tolist()), self.score.tolist()))

    @staticmethod
    def empty() -> Pairs:
        return Pairs(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float32))


def _as_matrix(vectors: np.ndarray, name: str = "vectors") -> np.ndarray:
    arr = np.asarray(vectors, dtype=np.float32)
    if arr.ndim == 1 and arr.size == 0:
        return arr.reshape(0, 0)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of row vectors, got shape {arr.shape}")
    return np.ascontiguousarray(arr)


def _collect(a_parts: list, b_parts: list, s_parts: list, n_cols: int, presorted: bool) -> Pairs:
    if not a_parts:
        return Pairs.empty()
    a = np.concatenate(a_parts).astype(np.int64, copy=False)
    b = np.concatenate(b_parts).astype(np.int64, copy=False)
    score = np.concatenate(s_parts).astype(np.float32, copy=False)
    if not presorted and len(a) > 1:
        order = np.argsort(a * max(n_cols, 1) + b, kind="stable")
        a, b, score = a[order], b[order], score[order]
    return Pairs(a, b, score)


def exact_pairs(vectors: np.ndarray, threshold: float = DEFAULT_THRESHOLD, block: int = 2048) -> Pairs:
    """Every pair i < j with vectors[i] . vectors[j] >= threshold, by brute force in tiles.

    Only the upper triangle of tiles is computed; memory stays at block x block floats.
    """
    v = _as_matrix(vectors)
    return _tiled_pairs(v, v, threshold, block, upper=True)


def cross_pairs(
    new_vectors: np.ndarray, old_vectors: np.ndarray, threshold: float = DEFAULT_THRESHOLD, block: int = 2048
) -> Pairs:
    """Every pair (a, b) with new_vectors[a] . old_vectors[b] >= threshold (a indexes new, b old).

    Exact, in block x block tiles; sorted by (a, b).
    """
    new = _as_matrix(new_vectors, "new_vectors")
    old = _as_matrix(old_vectors, "old_vectors")
    if new.shape[0] == 0 or old.shape[0] == 0:
        return Pairs.empty()
    if new.shape[1] != old.shape[1]:
        raise ValueError(f"dimension mismatch: new {new.shape[1]} vs old {old.shape[1]}")
    return _tiled_pairs(new, old, threshold, block, upper=False)


def _tiled_pairs(left: np.ndarray, right: np.ndarray, threshold: float, block: int, upper: bool) -> Pairs:
    """Pairs (a, b) with left[a] . right[b] >= threshold, in block x block tiles, sorted by
    (a, b). `upper` (left is right): only tiles on or above the diagonal, and b > a."""
    n_right = right.shape[0]
    block = max(1, int(block))
    a_parts, b_parts, s_parts = [], [], []
    for r0 in range(0, left.shape[0], block):
        rows = left[r0 : r0 + block]
        row_a, row_b, row_s = [], [], []
        for c0 in range(r0 if upper else 0, n_right, block):
            sims = rows @ right[c0 : c0 + block].T
            hit = sims >= threshold
            if upper and c0 == r0:
                hit = np.triu(hit, 1)  # the diagonal tile: keep col > row only
            # flatnonzero then divmod: np.nonzero on a 2-D mask took 1.25 ms per 355 x 2048 tile, this 0.03
            r, c = np.divmod(np.flatnonzero(hit), hit.shape[1])
            if r.size:
                row_a.append(r + r0)
                row_b.append(c + c0)
                row_s.append(sims[r, c])
        if row_a:
            # Hits of one row band come tile by tile: sort them by (a, b) within the band,
            # after which the bands are already in order.
            band = _collect(row_a, row_b, row_s, n_right, presorted=len(row_a) == 1)
            a_parts.append(band.a), b_parts.append(band.b), s_parts.append(band.score)
    return _collect(a_parts, b_parts, s_parts, n_right, presorted=True)

def default_n_lists(n: int) -> int:
    """About 4 * sqrt(N) clusters (at least 1, at most N)."""
    if n <= 0:
        return 1
    return int(min(n, max(1, round(4.0 * np.sqrt(n)))))


def _normalise_rows(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    np.maximum(norms, 1e-12, out=norms)
    return m / norms


def _nearest(v: np.ndarray, centroids: np.ndarray, k: int, block: int = 4096) -> np.ndarray:
    """Indices of each row's k most similar centroids, shape (N, k), most similar first."""
    n = v.shape[0]
    k = min(k, centroids.shape[0])
    out = np.empty((n, k), dtype=np.int64)
    for r0 in range(0, n, block):
        sims = v[r0 : r0 + block] @ centroids.T
        if k <= 32:
            # k passes of argmax, masking each winner, beat a row-wise argpartition for small k.
            rows = np.arange(sims.shape[0])
            for col in range(k):
                best = np.argmax(sims, axis=1)
                out[r0 : r0 + block, col] = best
                if col + 1 < k:
                    sims[rows, best] = -np.inf
            continue
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(sims, top, axis=1), axis=1)
        out[r0 : r0 + block] = np.take_along_axis(top, order, axis=1)
    return out


def spherical_kmeans(
    vectors: np.ndarray, n_clusters: int, *, iterations: int = 8, sample: int | None = None, seed: int = 0
) -> np.ndarray:
    """Unit-norm centroids from a few Lloyd iterations (cosine assignment) on a random sample.

    Empty clusters are re-seeded with random sample rows. Returns float32 (n_clusters, dim).
    """
    v = _as_matrix(vectors)
    n = v.shape[0]
    n_clusters = max(1, min(int(n_clusters), n))
    rng = np.random.default_rng(seed)
    size = n if sample is None else max(n_clusters, min(n, int(sample)))
    pts = v[np.sort(rng.choice(n, size=size, replace=False))] if size < n else v
    centroids = pts[rng.choice(pts.shape[0], size=n_clusters, replace=False)].copy()
    for _ in range(iterations):
        labels = _nearest(pts, centroids, 1)[:, 0]
        counts = np.bincount(labels, minlength=n_clusters)
        sums = np.zeros_like(centroids)
        filled = np.flatnonzero(counts)
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        sums[filled] = np.add.reduceat(pts[np.argsort(labels, kind="stable")], starts[filled], axis=0)
        empty = np.flatnonzero(counts == 0)
        if empty.size:
            sums[empty] = pts[rng.choice(pts.shape[0], size=empty.size, replace=False)]
        centroids = _normalise_rows(sums).astype(np.float32, copy=False)
    return centroids


def _groups(labels: np.ndarray, owners: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR layout: owners sorted by label, and offsets so group g is items[offsets[g]:offsets[g+1]]."""
    order = np.argsort(labels, kind="stable")
    offsets = np.zeros(n_groups + 1, dtype=np.int64)
    np.cumsum(np.bincount(labels, minlength=n_groups), out=offsets[1:])
    return owners[order], offsets


@dataclass(frozen=True, eq=False)
class PhraseIVF:
    """An inverted file over one set of rows: unit centroids, and each list's member rows.

    List g holds rows members[offsets[g]:offsets[g + 1]] (each row in its nearest centroid's
    list). Plain arrays, saved beside the vectors they index and memory-mapped back.
    """

    centroids: np.ndarray  # float32 (n_lists, dim)
    members: np.ndarray  # int64 (n_rows,)
    offsets: np.ndarray  # int64 (n_lists + 1,)

    @property
    def n_lists(self) -> int:
        return int(self.centroids.shape[0])


def default_centroids(vectors: np.ndarray, seed: int = 0, iterations: int = 8) -> np.ndarray:
    """Spherical k-means centroids with the default list count and sample size."""
    v = _as_matrix(vectors)
    n_lists = default_n_lists(v.shape[0])
    return spherical_kmeans(v, n_lists, iterations=iterations, sample=min(v.shape[0], max(32 * n_lists, 10000)), seed=seed)


def build_ivf(vectors: np.ndarray, centroids: np.ndarray | None = None, seed: int = 0) -> PhraseIVF:
    """The inverted file of `vectors` (k-means centroids unless given, then nearest-list members)."""
    v = _as_matrix(vectors)
    c = default_centroids(v, seed) if centroids is None else _as_matrix(centroids, "centroids")
    labels = _nearest(v, c, 1)[:, 0] if v.shape[0] else np.zeros(0, np.int64)
    members, offsets = _groups(labels, np.arange(v.shape[0], dtype=np.int64), c.shape[0])
    return PhraseIVF(c, members, offsets)


def in_list_order(ivf: PhraseIVF) -> tuple[np.ndarray, PhraseIVF]:
    """The row order that makes every list of `ivf` one contiguous run (its members, list by
    list), and the inverted file over the rows put in that order (members 0, 1, 2, ...).

    Why: a large segment stores its phrases in this order, so that `ivf_cross_pairs` reads each
    probed list as one slice of the vector file instead of gathering scattered rows. A batch of a
    few hundred new phrases probes nearly every list, and at 108,000 phrases the gather was 40%
    of the search."""
    order = np.asarray(ivf.members, dtype=np.int64)
    return order, PhraseIVF(ivf.centroids, np.arange(len(order), dtype=np.int64), np.asarray(ivf.offsets, dtype=np.int64))


def ivf_cross_pairs(new_vectors: np.ndarray, old_vectors: np.ndarray, ivf: PhraseIVF,
                    threshold: float = DEFAULT_THRESHOLD, n_probe: int = DEFAULT_CROSS_PROBE) -> Pairs:
    """Pairs (a, b) with new_vectors[a] . old_vectors[b] >= threshold, b among the members of
    the `n_probe` lists of `ivf` (the inverted file of `old_vectors`) nearest to new row a.

    Every score is a computed dot product (no false pairs); a pair whose old row sits in a list
    the new row does not probe is missed. `old_vectors` may be memory-mapped: only the probed
    lists' rows are read. Sorted by (a, b).
    """
    new = _as_matrix(new_vectors, "new_vectors")
    if new.shape[0] == 0 or len(ivf.members) == 0:
        return Pairs.empty()
    n_probe = max(1, min(int(n_probe), ivf.n_lists))
    probes = _nearest(new, np.asarray(ivf.centroids, dtype=np.float32), n_probe)
    probers, p_off = _groups(probes.ravel(), np.repeat(np.arange(new.shape[0], dtype=np.int64), n_probe), ivf.n_lists)
    # Plain views of memory-mapped arrays: no copy, and none of np.memmap's per-slice overhead
    # (it was half the time of this loop).
    offsets, members, old = np.asarray(ivf.offsets).tolist(), np.asarray(ivf.members), np.asarray(old_vectors)
    in_order = np.array_equal(members, np.arange(len(members)))  # rows stored list by list: slices, no gather
    starts = p_off.tolist()
    a_parts, b_parts, s_parts = [], [], []
    for lst in np.flatnonzero(np.diff(p_off) > 0).tolist():
        first, end = offsets[lst], offsets[lst + 1]
        if first == end:
            continue
        mem = None if in_order else members[first:end]  # ascending: pages read in order
        block = old[first:end] if mem is None else old[mem]
        rows = probers[starts[lst] : starts[lst + 1]]
        sims = new[rows] @ block.astype(np.float32, copy=False).T
        hit = np.flatnonzero(sims >= threshold)
        if hit.size:
            r, c = np.divmod(hit, sims.shape[1])
            a_parts.append(rows[r]), b_parts.append(c + first if mem is None else mem[c]), s_parts.append(sims.ravel()[hit])
    return _collect(a_parts, b_parts, s_parts, int(old.shape[0]), presorted=False)


def approximate_pairs(
    vectors: np.ndarray,
    threshold: float = DEFAULT_THRESHOLD,
    *,
    n_lists: int | None = None,
    n_probe: int = DEFAULT_N_PROBE,
    seed: int = 0,
    kmeans_iterations: int = 8,
    kmeans_sample: int | None = None,
    centroids: np.ndarray | None = None,
) -> Pairs:
    """Pairs i < j with cosine >= threshold, found by an inverted-file (IVF) search.

    Each vector is a member of its nearest centroid's list and probes its `n_probe` nearest
    lists; probers of a list are compared with its members in tiles of bounded size. A pair is
    found when either vector probes the other's list. Every returned score is a computed dot
    product >= threshold (no false pairs); some true pairs may be missed (recall < 1).
    Deterministic for a given seed. Memory stays O(N * n_probe + tile). Pass `centroids` (for
    instance those of the segment's stored `PhraseIVF`) to skip the k-means.
    """
    v = _as_matrix(vectors)
    n = v.shape[0]
    if n < 2:
        return Pairs.empty()
    if centroids is None:
        n_lists = default_n_lists(n) if n_lists is None else max(1, min(int(n_lists), n))
        sample = kmeans_sample if kmeans_sample is not None else min(n, max(32 * n_lists, 10000))
        centroids = spherical_kmeans(v, n_lists, iterations=kmeans_iterations, sample=sample, seed=seed)
    else:
        centroids = _as_matrix(centroids, "centroids")
        n_lists = centroids.shape[0]
    n_probe = max(1, min(int(n_probe), n_lists))

    probes = _nearest(v, centroids, n_probe)  # (n, n_probe), column 0 = nearest = member list
    members, m_off = _groups(probes[:, 0], np.arange(n, dtype=np.int64), n_lists)
    probers, p_off = _groups(probes.ravel(), np.repeat(np.arange(n, dtype=np.int64), n_probe), n_lists)

    a_parts, b_parts, s_parts = [], [], []
    for lst in range(n_lists):
        mem = members[m_off[lst] : m_off[lst + 1]]
        if mem.size == 0:
            continue
        prb = probers[p_off[lst] : p_off[lst + 1]]
        col_step = min(mem.size, _TILE_CELLS)
        row_step = max(1, _TILE_CELLS // col_step)
        for c0 in range(0, mem.size, col_step):
            cols = mem[c0 : c0 + col_step]
            mem_vecs = v[cols]
            for r0 in range(0, prb.size, row_step):
                rows = prb[r0 : r0 + row_step]
                sims = v[rows] @ mem_vecs.T
                r, c = np.divmod(np.flatnonzero(sims >= threshold), sims.shape[1])
                if r.size == 0:
                    continue
                i, j = rows[r], cols[c]
                keep = i != j
                i, j, s = i[keep], j[keep], sims[r[keep], c[keep]]
                a_parts.append(np.minimum(i, j))
                b_parts.append(np.maximum(i, j))
                s_parts.append(s)
    if not a_parts:
        return Pairs.empty()
    a = np.concatenate(a_parts)
    b = np.concatenate(b_parts)
    s = np.concatenate(s_parts)
    # The same pair can come from both directions (and from several lists): keep one, sorted.
    _, first = np.unique(a * n + b, return_index=True)
    return Pairs(a[first], b[first], s[first].astype(np.float32, copy=False))


def synonym_pairs(vectors: np.ndarray, threshold: float = DEFAULT_THRESHOLD, exact_below: int = EXACT_BELOW,
                  centroids: np.ndarray | None = None) -> Pairs:
    """Exact pairs below `exact_below` rows, IVF-approximate pairs (recall >= 99%) at or above it
    (with the given `centroids`, when the caller already clustered these vectors)."""
    v = _as_matrix(vectors)
    if v.shape[0] < exact_below:
        return exact_pairs(v, threshold)
    return approximate_pairs(v, threshold, centroids=centroids)
