"""tables.lookup maps point ids to rows through a low-bit bitmap: it must agree with a plain
dictionary whatever the ids' low bits, signs or repeats."""

from __future__ import annotations

import numpy as np
import pytest

from hipporag_like.tables import lookup


def _by_dict(points: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    rows = {int(p): i for i, p in enumerate(points.tolist())}
    return np.array([rows.get(int(w), -1) for w in wanted.tolist()], dtype=np.int64)


@pytest.mark.parametrize("seed", range(6))
def test_lookup_agrees_with_a_dictionary(seed):
    rng = np.random.default_rng(seed)
    points = np.unique(rng.integers(-(2**63), 2**63 - 1, size=int(rng.integers(1, 5000)), dtype=np.int64))
    rng.shuffle(points)
    present = rng.choice(points, size=min(len(points), 300))
    # ids sharing every low bit of a present id but not equal to it: the bitmap passes them, the
    # exact comparison must not
    twins = present[:50] ^ np.int64(1 << 40)
    absent = rng.integers(-(2**63), 2**63 - 1, size=200, dtype=np.int64)
    wanted = np.concatenate([present, present[:20], twins, absent])  # repeats included
    rng.shuffle(wanted)
    assert np.array_equal(lookup(points, wanted), _by_dict(points, wanted))


def test_lookup_of_nothing_and_in_nothing():
    points = np.array([5, -3, 1 << 50], dtype=np.int64)
    assert lookup(points, np.zeros(0, np.int64)).tolist() == []
    assert lookup(np.zeros(0, np.int64), points).tolist() == [-1, -1, -1]
    assert lookup(points, np.array([7, 9], dtype=np.int64)).tolist() == [-1, -1]
    assert lookup(points, np.array([1 << 50, 5, -3], dtype=np.int64)).tolist() == [2, 0, 1]


def test_lookup_reads_memory_mapped_ids(tmp_path):
    points = np.arange(-500, 500, dtype=np.int64) * 7919
    np.save(tmp_path / "p.npy", points)
    mapped = np.load(tmp_path / "p.npy", mmap_mode="r")
    wanted = np.array([7919 * 3, 12, -7919 * 500], dtype=np.int64)
    assert lookup(mapped, wanted).tolist() == [503, -1, 0]
