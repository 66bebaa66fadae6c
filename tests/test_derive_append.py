"""derive_appended must give exactly the arrays derive() computes, on every kind of append.

The tables come from the real merge path (batch_rows, merge, add_synonyms) over random
extractions from a small vocabulary, so batches reuse old phrases and facts, add triples between
phrases that had only a synonym edge, add synonyms between phrases that already share a triple,
wake phrases whose passages were deleted, and append after deletes left dead rows.
"""

from __future__ import annotations

import numpy as np
import pytest

from hipporag_like.config import GraphConfig
from hipporag_like.derive_append import derive_appended
from hipporag_like.extraction.base import Extraction
from hipporag_like.tables import Derived, Tables, add_synonyms, batch_rows, derive, merge, phrase_row_mover, reorder_phrases

WORDS = [f"thing {i}" for i in range(40)]
RELATIONS = ["part of", "near", "made by"]
TITLE_WEIGHT = GraphConfig().title_edge_weight


def _point(key: object) -> int:
    return hash(key) & ((1 << 62) - 1)  # stable within a test run: only equality matters


def _random_batch(rng: np.random.Generator, first: int, size: int) -> tuple[list[Extraction], list[str]]:
    extractions, titles = [], []
    for i in range(size):
        words = [WORDS[j] for j in rng.choice(len(WORDS), size=int(rng.integers(2, 6)), replace=False)]
        triples = tuple((words[int(rng.integers(len(words)))], RELATIONS[int(rng.integers(3))], words[int(rng.integers(len(words)))])
                        for _ in range(int(rng.integers(0, 5))))
        extractions.append(Extraction(f"p{first + i}", tuple(words[:2]), triples))
        titles.append(words[0] if rng.random() < 0.7 else "")
    return extractions, titles


def _append(tables: Tables, rng: np.random.Generator, size: int) -> Tables:
    extractions, titles = _random_batch(rng, tables.n_passages, size)
    batch = batch_rows(extractions, titles, GraphConfig())
    merged = merge(tables, batch, size, np.array([_point(k) for k in batch.phrase_keys], dtype=np.int64),
                   np.array([_point(t) for t in batch.fact_triples], dtype=np.int64), np.zeros(0, dtype=np.int64))
    return _with_random_synonyms(merged.tables, rng)


def _with_random_synonyms(tables: Tables, rng: np.random.Generator) -> Tables:
    live = np.flatnonzero(tables.phrase_live())
    if len(live) < 2:
        return tables
    a, b = rng.choice(live, size=8), rng.choice(live, size=8)
    # Some pairs on purpose where a triple already links them.
    s, o = tables.fact_subject[tables.occ_fact[:3]], tables.fact_object[tables.occ_fact[:3]]
    a, b = np.concatenate([a, s]), np.concatenate([b, o])
    return add_synonyms(tables, a, b, rng.uniform(0.8, 1.0, size=len(a)))


def _remove(tables: Tables, rng: np.random.Generator, count: int) -> Tables:
    live = np.flatnonzero(tables.passage_live)
    gone = np.sort(rng.choice(live, size=min(count, len(live) - 1), replace=False)).astype(np.int64)
    empty = batch_rows([], [], GraphConfig())
    return merge(tables, empty, 0, np.zeros(0, np.int64), np.zeros(0, np.int64), gone).tables


def _assert_same(got: tuple[Derived, dict], want: tuple[Derived, dict]) -> None:
    for name in Derived.names():
        mine, theirs = getattr(got[0], name), getattr(want[0], name)
        assert mine.dtype == theirs.dtype, name
        np.testing.assert_array_equal(mine, theirs, err_msg=name)
    assert got[1] == want[1]


@pytest.mark.parametrize("seed", range(12))
def test_appending_gives_the_arrays_a_full_derive_gives(seed):
    rng = np.random.default_rng(seed)
    base = _append(Tables.empty(), rng, 6)
    for step in range(6):
        if step == 3:
            base = _remove(base, rng, 3)  # dead rows, and phrases that later batches wake
        base_derived = derive(base, TITLE_WEIGHT)
        grown = _append(base, rng, int(rng.integers(1, 5)))
        got = derive_appended(base, base_derived[0], base_derived[1], grown, TITLE_WEIGHT)
        assert got is not None
        _assert_same(got, derive(grown, TITLE_WEIGHT))
        base = grown


def test_a_triple_between_synonyms_replaces_their_synonym_edge():
    first = batch_rows([Extraction("a", ("thing 1", "thing 2"), ())], ["thing 1"], GraphConfig())
    base = merge(Tables.empty(), first, 1, np.array([_point(k) for k in first.phrase_keys]), np.zeros(0, np.int64), np.zeros(0, np.int64)).tables
    base = add_synonyms(base, np.array([0]), np.array([1]), np.array([0.9]))
    before = derive(base, TITLE_WEIGHT)
    assert before[1]["synonymy"] == 1
    second = batch_rows([Extraction("b", (), (("thing 1", "near", "thing 2"),))], [""], GraphConfig())
    grown = merge(base, second, 1, np.array([_point(k) for k in second.phrase_keys]), np.array([_point(t) for t in second.fact_triples]),
                  np.zeros(0, np.int64)).tables
    got = derive_appended(base, before[0], before[1], grown, TITLE_WEIGHT)
    assert got is not None and got[1]["synonymy"] == 0 and got[1]["relation"] == 1
    _assert_same(got, derive(grown, TITLE_WEIGHT))


def test_the_first_append_to_an_empty_index_and_an_empty_append():
    rng = np.random.default_rng(5)
    empty = Tables.empty()
    grown = _append(empty, rng, 4)
    _assert_same(derive_appended(empty, *derive(empty, TITLE_WEIGHT), grown, TITLE_WEIGHT), derive(grown, TITLE_WEIGHT))
    _assert_same(derive_appended(grown, *derive(grown, TITLE_WEIGHT), grown, TITLE_WEIGHT), derive(grown, TITLE_WEIGHT))


def test_a_version_that_removed_rows_is_refused():
    rng = np.random.default_rng(3)
    base = _append(Tables.empty(), rng, 8)
    smaller = _remove(base, rng, 2)
    derived = derive(base, TITLE_WEIGHT)
    assert derive_appended(base, derived[0], derived[1], smaller, TITLE_WEIGHT) is None


@pytest.mark.parametrize("seed", range(6))
def test_reordering_phrases_relabels_the_graph_and_nothing_else(seed):
    """reorder_phrases (a large segment's phrases stored list by list) must give the same graph
    with the moved phrase nodes renamed, the same fact index and canonical synonym pairs."""
    rng = np.random.default_rng(seed)
    tables = _append(_append(Tables.empty(), rng, 6), rng, 5)
    first = int(rng.integers(0, tables.n_phrases))
    order = rng.permutation(tables.n_phrases - first)
    moved = reorder_phrases(tables, first, order)
    new_row = phrase_row_mover(first, order)(np.arange(tables.n_phrases))
    assert sorted(new_row.tolist()) == list(range(tables.n_phrases))
    assert np.array_equal(moved.phrase_point[new_row], tables.phrase_point)
    assert np.all(moved.syn_a < moved.syn_b) and np.all(np.diff(moved.syn_a * tables.n_phrases + moved.syn_b) > 0)
    (before, counts_before), (after, counts_after) = derive(tables, TITLE_WEIGHT), derive(moved, TITLE_WEIGHT)
    assert counts_before == counts_after

    def dense(d: Derived) -> np.ndarray:
        size = len(d.graph_indptr) - 1
        out = np.zeros((size, size))
        rows = np.repeat(np.arange(size), np.diff(d.graph_indptr))
        out[rows, d.graph_indices] = d.graph_weight
        return out

    p = tables.n_passages
    node = np.concatenate([np.arange(p), p + new_row])  # old node -> new node
    np.testing.assert_array_equal(dense(after)[np.ix_(node, node)], dense(before))
    for name in ("fact_indptr", "fact_passages"):
        np.testing.assert_array_equal(getattr(after, name), getattr(before, name))
    with pytest.raises(ValueError):
        reorder_phrases(tables, first, order[:-1])
