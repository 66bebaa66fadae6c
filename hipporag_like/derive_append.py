"""The walk graph and fact index of a version that only appended passages, from its base's.

Why: `tables.derive` rebuilds every derived array by sorting all of the version's edges and
occurrences, so an insert of 100 passages paid for the whole index in sorts (55 ms at 20,000
synthetic passages; this takes 19 ms there, all of it copying). When a write only appends passages, the
base's canonical CSR graph is still right for every edge it holds: the new version's graph is
that graph with the phrase nodes shifted past the new passage nodes, plus the batch's edges, and
minus the synonym edges that a new triple turned into relation edges. Only the batch is sorted;
the base's arrays are copied, never re-sorted. The result is the same arrays, bit for bit, that
`derive` computes (tests/test_derive_append.py checks that on random inserts).

Pure: arrays in, arrays out.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from .tables import GRAPH_WEIGHT, ROW, Derived, Tables, contains_sorted, sorted_unique

_I = np.int64


def derive_appended(base: Tables, base_derived: Derived, base_edges: dict[str, int], tables: Tables,
                    title_edge_weight: float) -> tuple[Derived, dict[str, int]] | None:
    """`derive(tables)` for `tables` = `base` plus appended passages (and the phrases, facts and
    synonym pairs they brought), reusing `base_derived`; None when `tables` is not such a
    version (the caller then derives from scratch)."""
    p0, n0, f0 = base.n_passages, base.n_phrases, len(base.fact_point)
    p1, n1 = tables.n_passages, tables.n_phrases
    m0, o0 = len(base.mention_passage), len(base.occ_fact)
    if (p1 < p0 or n1 < n0 or len(tables.fact_point) < f0 or len(tables.mention_passage) < m0 or len(tables.occ_fact) < o0
            or len(tables.syn_a) < len(base.syn_a) or len(base_derived.graph_indptr) != p0 + n0 + 1
            or not np.array_equal(tables.passage_live[:p0], base.passage_live)):
        return None
    shift = p1 - p0
    n = max(n1, 1)
    graph = (np.asarray(base_derived.graph_indptr, dtype=_I), np.asarray(base_derived.graph_indices), np.asarray(base_derived.graph_weight))

    # Relation pairs the batch's triples add to, with how many times each was extracted, and
    # what the base's graph holds between the pair (base numbering: phrase a is node p0 + a).
    new_occ = np.asarray(tables.occ_fact[o0:])
    s, o = tables.fact_subject[new_occ], tables.fact_object[new_occ]
    differ = s != o
    keys, counts = _counted(np.minimum(s, o)[differ] * n + np.maximum(s, o)[differ])
    at = _find(graph, p0 + keys // n, p0 + keys % n)
    old_syn_keys = np.asarray(base.syn_a, dtype=_I) * n + np.asarray(base.syn_b, dtype=_I)  # sorted: (a, b) order
    was_syn = (at >= 0) & contains_sorted(old_syn_keys, keys)
    # An edge between synonyms holds the cosine unless a triple linked them too (then the
    # count): only those few pairs need the base's occurrences counted.
    was_relation = (at >= 0) & ~was_syn
    if was_syn.any():
        was_relation[was_syn] = _old_relation_counts(base, keys[was_syn], n) > 0
    turned = was_syn & ~was_relation  # a synonym edge that is now a relation edge

    # Synonym pairs the write added, kept where no relation edge links the pair (old or new).
    syn_keys = np.asarray(tables.syn_a, dtype=_I) * n + np.asarray(tables.syn_b, dtype=_I)
    added = ~contains_sorted(old_syn_keys, syn_keys)
    add_keys, add_scores = syn_keys[added], np.asarray(tables.syn_score)[added]
    fresh = (_find(graph, p0 + add_keys // n, p0 + add_keys % n) < 0) & ~contains_sorted(keys, add_keys)

    # The base's graph in the new numbering, without the synonym edges that turned.
    drop = np.concatenate([at[turned], _find(graph, p0 + keys[turned] % n, p0 + keys[turned] // n)])
    shifted = _shifted(graph, p0, n0, shift, n1 - n0, drop)

    # The batch's edges: its mentions, its relation occurrences (added to existing relation
    # weights, which are counts too), its fresh synonyms.
    m_passage, m_phrase = np.asarray(tables.mention_passage[m0:]), np.asarray(tables.mention_phrase[m0:])
    m_weight = np.where(np.asarray(tables.mention_title[m0:]) & (title_edge_weight > 0), title_edge_weight, 1.0)
    src = np.concatenate([m_passage, p1 + keys // n, p1 + add_keys[fresh] // n])
    dst = np.concatenate([p1 + m_phrase, p1 + keys % n, p1 + add_keys[fresh] % n])
    weight = np.concatenate([m_weight, counts, add_scores[fresh]])
    batch = sparse.csr_matrix((np.concatenate([weight, weight]), (np.concatenate([src, dst]), np.concatenate([dst, src]))),
                              shape=(p1 + n1, p1 + n1))
    batch.sum_duplicates()
    summed = (shifted + batch).tocsr()
    summed.sort_indices()

    fact_indptr, fact_passages = _appended_fact_index(base_derived, tables, o0, p1)
    derived = Derived(
        graph_indptr=summed.indptr.astype(_I),
        graph_indices=summed.indices.astype(ROW),
        graph_weight=summed.data.astype(GRAPH_WEIGHT),
        fact_indptr=fact_indptr,
        fact_passages=fact_passages,
    )
    edges = {
        "relation": int(base_edges["relation"]) + int(np.count_nonzero(~was_relation)),
        "passage": len(tables.mention_passage),
        "synonymy": int(base_edges["synonymy"]) - int(turned.sum()) + int(fresh.sum()),
    }
    return derived, edges


def _find(graph: tuple[np.ndarray, np.ndarray, np.ndarray], rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Position of each entry (row, col) in the CSR arrays, -1 where absent: one binary search
    per query inside its row (sorted), all queries in step, so the cost is the queries' and
    not the graph's."""
    indptr, indices, _ = graph
    if len(indptr) < 2 or not len(rows):  # an empty base graph holds no entry
        return np.full(len(rows), -1, dtype=_I)
    inside = (rows < len(indptr) - 1) & (cols < len(indptr) - 1)  # a new phrase has no base entry
    rows = np.where(inside, rows, 0)
    lo, hi = indptr[rows], np.where(inside, indptr[rows + 1], indptr[rows])
    end = hi.copy()
    while True:
        active = lo < hi
        if not active.any():
            break
        mid = (lo + hi) // 2
        below = np.zeros(len(rows), bool)
        below[active] = indices[mid[active]] < cols[active]
        lo = np.where(active & below, mid + 1, lo)
        hi = np.where(active & ~below, mid, hi)
    found = lo < end
    found[found] = indices[lo[found]] == cols[found]
    return np.where(found, lo, -1)


def _counted(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct keys and how often each occurs (a sort, not numpy's hashing unique)."""
    ordered = np.sort(keys)
    if not len(ordered):
        return ordered.astype(_I), np.zeros(0)
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    return ordered[starts], np.diff(np.append(starts, len(ordered))).astype(np.float64)


def _old_relation_counts(base: Tables, keys: np.ndarray, n: int) -> np.ndarray:
    """How many of the base's live triple occurrences link each pair in `keys` (sorted)."""
    if not len(keys) or not len(base.occ_fact):
        return np.zeros(len(keys))
    s, o = base.fact_subject[base.occ_fact], base.fact_object[base.occ_fact]
    differ = s != o
    old = np.minimum(s, o)[differ] * n + np.maximum(s, o)[differ]
    at = np.minimum(np.searchsorted(keys, old), len(keys) - 1)
    hit = keys[at] == old
    return np.bincount(at[hit], minlength=len(keys)).astype(np.float64)


def _shifted(graph: tuple[np.ndarray, np.ndarray, np.ndarray], p0: int, n0: int, shift: int, grown: int,
             drop: np.ndarray) -> sparse.csr_matrix:
    """The base graph with `shift` empty passage rows inserted before the phrase rows, `grown`
    empty phrase rows appended, and the entries at positions `drop` left out."""
    indptr, indices, data = graph
    if len(drop):
        keep = np.ones(len(indices), bool)
        keep[drop] = False
        indptr = np.concatenate(([0], np.cumsum(keep)))[indptr]
        indices, data = indices[keep], data[keep]
    indptr = np.concatenate([indptr[: p0 + 1], np.full(shift, indptr[p0]), indptr[p0 + 1 :], np.full(grown, indptr[-1])])
    indices = np.where(indices >= p0, indices + shift, indices) if shift else indices
    size = p0 + n0 + shift + grown
    matrix = sparse.csr_matrix((np.asarray(data, dtype=np.float64), indices, indptr), shape=(size, size))
    matrix.has_sorted_indices = True  # the base was canonical; the shift keeps each row's order
    return matrix


def _appended_fact_index(base_derived: Derived, tables: Tables, o0: int, p1: int) -> tuple[np.ndarray, np.ndarray]:
    """Per fact, its live passages: the base's lists, then the new passages (all numbered after
    every base passage, so each list stays sorted)."""
    n_facts = len(tables.fact_point)
    old_indptr = np.asarray(base_derived.fact_indptr, dtype=_I)
    old_counts = np.zeros(n_facts, dtype=_I)
    old_counts[: len(old_indptr) - 1] = np.diff(old_indptr)
    pairs = sorted_unique(np.asarray(tables.occ_fact[o0:], dtype=_I) * max(p1, 1) + np.asarray(tables.occ_passage[o0:], dtype=_I))
    facts, passages = pairs // max(p1, 1), pairs % max(p1, 1)
    new_counts = np.bincount(facts, minlength=n_facts)
    indptr = np.concatenate([[0], np.cumsum(old_counts + new_counts)]).astype(_I)
    out = np.empty(int(indptr[-1]), dtype=ROW)
    owner = np.repeat(np.arange(len(old_indptr) - 1, dtype=_I), np.diff(old_indptr))
    out[np.arange(len(owner), dtype=_I) + (indptr[owner] - old_indptr[owner])] = np.asarray(base_derived.fact_passages)
    group_start = np.concatenate([[0], np.cumsum(new_counts)])[facts]
    out[indptr[facts] + old_counts[facts] + np.arange(len(facts), dtype=_I) - group_start] = passages
    return indptr, out
