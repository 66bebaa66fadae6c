"""The synonym-pair kernels: exact against brute force, cross pairs, IVF recall, edge cases."""

import numpy as np
import pytest

from hipporag_like.synonymy import (
    DEFAULT_N_PROBE,
    Pairs,
    approximate_pairs,
    build_ivf,
    cross_pairs,
    ivf_cross_pairs,
    default_n_lists,
    exact_pairs,
    in_list_order,
    synonym_pairs,
)


def unit_rows(m: np.ndarray) -> np.ndarray:
    return (m / np.linalg.norm(m, axis=1, keepdims=True)).astype(np.float32)


def planted(n: int, dim: int, n_groups: int, seed: int) -> np.ndarray:
    """Random unit rows, with n_groups small groups (2-4 rows) of noisy copies of one row,
    noise spread so the groups' cosines straddle 0.8; rows shuffled."""
    rng = np.random.default_rng(seed)
    v = rng.standard_normal((n, dim))
    pos = 0
    for _ in range(n_groups):
        size = int(rng.integers(2, 5))
        noise = rng.uniform(0.2, 0.6)
        centre = v[pos] / np.linalg.norm(v[pos])
        for t in range(1, size):
            v[pos + t] = centre + noise * rng.standard_normal(dim) / np.sqrt(dim)
        pos += size
    assert pos <= n
    return unit_rows(v[rng.permutation(n)])


def brute_force(v: np.ndarray, threshold: float) -> dict[tuple[int, int], float]:
    sims = v.astype(np.float64) @ v.astype(np.float64).T
    i, j = np.nonzero(np.triu(sims >= threshold, 1))
    return {(int(a), int(b)): float(sims[a, b]) for a, b in zip(i, j)}


def assert_well_formed(p: Pairs, strict_upper: bool = True) -> None:
    assert p.a.dtype == np.int64 and p.b.dtype == np.int64 and p.score.dtype == np.float32
    assert p.a.shape == p.b.shape == p.score.shape
    if strict_upper:
        assert np.all(p.a < p.b)
    if len(p) > 1:
        assert np.all(np.lexsort((p.b, p.a)) == np.arange(len(p))), "not sorted by (a, b)"


@pytest.mark.parametrize("block", [7, 64, 2048])
def test_exact_pairs_match_brute_force(block):
    v = planted(600, 16, 80, seed=3)
    threshold = 0.8
    got = exact_pairs(v, threshold, block=block)
    assert_well_formed(got)
    want = brute_force(v, threshold)
    # Ignore pairs within float32 rounding of the threshold; there must be plenty of others.
    sims = v.astype(np.float64) @ v.astype(np.float64).T
    borderline = {k for k in set(want) | set(got.to_dict()) if abs(sims[k] - threshold) < 1e-5}
    assert len(want) > 50
    assert set(got.to_dict()) - borderline == set(want) - borderline
    for (a, b), s in got.to_dict().items():
        assert s == pytest.approx(sims[a, b], abs=1e-5)


def test_exact_pairs_by_threshold_checked_by_hand():
    vectors = np.array([[1, 0], [0.99, 0.141], [0, 1], [0.6, 0.8]], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    # cosines: (0,1) 0.990, (2,3) 0.8, (1,3) 0.707, (0,3) 0.6, (1,2) 0.141, (0,2) 0
    pairs = exact_pairs(vectors, threshold=0.75, block=2).to_dict()
    assert set(pairs) == {(0, 1), (2, 3)}
    assert pairs[(0, 1)] == pytest.approx(0.990, abs=1e-3)
    assert set(exact_pairs(vectors, threshold=0.5, block=3).to_dict()) == {(0, 1), (2, 3), (1, 3), (0, 3)}
    assert exact_pairs(vectors[:1], threshold=0.5).to_dict() == {}


@pytest.mark.parametrize("block", [5, 2048])
def test_cross_pairs_are_the_union_pairs_between_new_and_old(block):
    v = planted(700, 16, 90, seed=11)
    n_old = 500
    old, new = v[:n_old], v[n_old:]
    got = cross_pairs(new, old, 0.8, block=block)
    assert_well_formed(got, strict_upper=False)
    union = exact_pairs(v, 0.8)
    # In the union, an old row i < n_old pairs with a new row j >= n_old as (i, j).
    cross = (union.a < n_old) & (union.b >= n_old)
    want = {(int(j - n_old), int(i)): float(s) for i, j, s in zip(union.a[cross], union.b[cross], union.score[cross])}
    assert len(want) > 5
    got_d = got.to_dict()
    assert set(got_d) == set(want)
    assert all(got_d[k] == pytest.approx(want[k], abs=1e-5) for k in want)
    assert np.all((got.a < len(new)) & (got.b < n_old))


def test_cross_pairs_edge_cases():
    v = planted(50, 8, 5, seed=2)
    assert len(cross_pairs(v[:0], v, 0.8)) == 0
    assert len(cross_pairs(v, v[:0], 0.8)) == 0
    with pytest.raises(ValueError):
        cross_pairs(v, v[:, :4], 0.8)
    # Comparing a set with itself pairs every row with itself (cosine 1).
    same = cross_pairs(v, v, 0.999)
    assert set(zip(same.a.tolist(), same.b.tolist())) >= {(i, i) for i in range(len(v))}


def test_approximate_pairs_recall_and_no_false_pairs():
    n, dim = 20000, 64
    v = planted(n, dim, 1600, seed=1)
    truth = exact_pairs(v, 0.8)
    assert 2000 <= len(truth) <= 8000  # "a few thousand" true pairs
    got = approximate_pairs(v, 0.8, seed=0)
    assert_well_formed(got)

    truth_keys = truth.a * n + truth.b
    got_keys = got.a * n + got.b
    recall = np.isin(truth_keys, got_keys).mean()
    assert recall >= 0.99, f"recall {recall:.4f} with n_probe={DEFAULT_N_PROBE}"
    # No false pairs: every score is above the threshold and is the pair's real cosine.
    assert np.all(got.score >= 0.8)
    true_cos = np.einsum("ij,ij->i", v[got.a].astype(np.float64), v[got.b].astype(np.float64))
    np.testing.assert_allclose(got.score, true_cos, atol=1e-5)
    # Deterministic for a seed.
    again = approximate_pairs(v, 0.8, seed=0)
    assert np.array_equal(again.a, got.a) and np.array_equal(again.b, got.b)


def test_approximate_pairs_small_inputs_and_settings():
    v = planted(400, 16, 50, seed=7)
    truth = set(exact_pairs(v, 0.8).to_dict())
    # Probing every list makes the search exact.
    full = approximate_pairs(v, 0.8, n_lists=10, n_probe=10)
    assert set(full.to_dict()) == truth
    # A single list is exact too; more lists than rows is clamped.
    assert set(approximate_pairs(v, 0.8, n_lists=1).to_dict()) == truth
    assert set(approximate_pairs(v[:5], 0.8, n_lists=50, n_probe=50).to_dict()) == set(
        exact_pairs(v[:5], 0.8).to_dict()
    )
    assert default_n_lists(10000) == 400 and default_n_lists(1) == 1


@pytest.mark.parametrize("fn", [exact_pairs, approximate_pairs, synonym_pairs])
def test_empty_single_row_and_threshold_above_one(fn):
    empty = np.zeros((0, 8), dtype=np.float32)
    single = unit_rows(np.ones((1, 8)))
    for vectors in (empty, single, np.array([])):
        p = fn(vectors, 0.8)
        assert len(p) == 0 and p.a.dtype == np.int64 and p.score.dtype == np.float32
    v = planted(300, 8, 60, seed=4)
    v[1] = v[0]  # an exact duplicate: cosine 1 (up to rounding)
    assert len(fn(v, 1.01)) == 0
    assert len(fn(v, 0.8)) > 0


def test_synonym_pairs_switches_on_size():
    v = planted(3000, 32, 300, seed=9)
    exact = exact_pairs(v, 0.8)
    below = synonym_pairs(v, 0.8, exact_below=5000)
    assert np.array_equal(below.a, exact.a) and np.array_equal(below.b, exact.b)
    above = synonym_pairs(v, 0.8, exact_below=1000)
    approx = approximate_pairs(v, 0.8)
    assert np.array_equal(above.a, approx.a) and np.array_equal(above.b, approx.b)
    recall = np.isin(exact.a * len(v) + exact.b, above.a * len(v) + above.b).mean()
    assert recall >= 0.99


def test_ivf_cross_pairs_recall_no_false_pairs_and_memory_mapped_old_rows(tmp_path):
    v = planted(12000, 48, 1500, seed=5)
    old, new = v[:11000], v[11000:]
    np.save(tmp_path / "old.npy", old)
    mapped = np.load(tmp_path / "old.npy", mmap_mode="r")
    ivf = build_ivf(mapped)
    # Every old row sits in exactly one list, ascending within it.
    members, offsets = np.asarray(ivf.members), np.asarray(ivf.offsets)
    assert sorted(members.tolist()) == list(range(len(old))) and offsets[-1] == len(old)
    assert all(np.all(np.diff(members[offsets[g] : offsets[g + 1]]) > 0) for g in range(ivf.n_lists))
    truth = cross_pairs(new, old, 0.8)
    assert len(truth) > 50
    got = ivf_cross_pairs(new, mapped, ivf, 0.8)
    assert_well_formed(got, strict_upper=False)
    recall = np.isin(truth.a * len(old) + truth.b, got.a * len(old) + got.b).mean()
    assert recall >= 0.99
    true_cos = np.einsum("ij,ij->i", new[got.a].astype(np.float64), old[got.b].astype(np.float64))
    assert np.all(got.score >= 0.8)
    np.testing.assert_allclose(got.score, true_cos, atol=1e-5)
    # Probing every list is the exact search; one probe finds fewer.
    assert set(ivf_cross_pairs(new, old, ivf, 0.8, n_probe=ivf.n_lists).to_dict()) == set(truth.to_dict())
    assert len(ivf_cross_pairs(new, old, ivf, 0.8, n_probe=1)) < len(got)
    assert len(ivf_cross_pairs(new[:0], old, ivf, 0.8)) == 0


def test_rows_stored_in_list_order_give_the_same_pairs_by_slices(tmp_path):
    """A segment that stores its rows list by list (in_list_order) is searched by slices of the
    vector file: the pairs must be those the scattered layout gives, renamed by the order."""
    v = planted(6000, 32, 800, seed=9)
    old, new = v[:5500], v[5500:]
    ivf = build_ivf(old)
    order, listed = in_list_order(ivf)
    assert sorted(order.tolist()) == list(range(len(old)))
    assert np.array_equal(listed.members, np.arange(len(old))) and np.array_equal(listed.offsets, ivf.offsets)
    np.save(tmp_path / "listed.npy", old[order])
    scattered = ivf_cross_pairs(new, old, ivf, 0.8)
    sliced = ivf_cross_pairs(new, np.load(tmp_path / "listed.npy", mmap_mode="r"), listed, 0.8)
    assert len(scattered) > 20
    assert_well_formed(sliced, strict_upper=False)
    renamed = {(a, int(order[b])): round(float(s), 5) for (a, b), s in sliced.to_dict().items()}
    assert renamed == {k: round(float(s), 5) for k, s in scattered.to_dict().items()}


def test_approximate_pairs_reuses_given_centroids():
    v = planted(3000, 32, 300, seed=12)
    ivf = build_ivf(v)
    given = approximate_pairs(v, 0.8, centroids=ivf.centroids)
    exact = exact_pairs(v, 0.8)
    assert np.isin(exact.a * len(v) + exact.b, given.a * len(v) + given.b).mean() >= 0.99
    assert np.all(given.score >= 0.8) and ivf.n_lists == default_n_lists(len(v))
