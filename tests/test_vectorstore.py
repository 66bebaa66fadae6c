"""Both vector stores behind the one protocol, on real segments: Qdrant Edge shards derived into
a cache folder, and the qdrant-client path (run against qdrant-client's local mode, which
speaks the server's API). The same tests run on both."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hipporag_like.config import VectorsConfig
from hipporag_like.errors import IndexFormatError
from hipporag_like.segments import Segment, SegmentContent, write_segment
from hipporag_like.vectorstore.factory import open_vector_store


def unit(rows: int, dim: int = 8, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(rows, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def segment(root: Path, passages: np.ndarray, phrases: np.ndarray) -> Segment:
    content = SegmentContent(
        passages=[{"id": f"{i:016x}", "title": "", "text": f"passage {i}"} for i in range(len(passages))],
        extractions=[{"entities": [], "triples": [], "dropped_triples": 0} for _ in range(len(passages))],
        phrases=[f"phrase {i}" for i in range(len(phrases))],
        facts=[],
        vectors={"passages": passages, "phrases": phrases, "facts": np.zeros((0, passages.shape[1]), np.float32)},
        terms={},
    )
    entry = write_segment(root, content)
    return Segment(root / entry["name"], entry)


BACKENDS = {
    "edge": lambda tmp: (VectorsConfig(kind="edge"), tmp / "cache"),
    "server": lambda tmp: (VectorsConfig(kind="qdrant", url=f"local:{tmp / 'qdrant'}"), tmp / "cache"),
}


@pytest.fixture(params=sorted(BACKENDS))
def backend(request, tmp_path):
    return BACKENDS[request.param](tmp_path)


def test_search_spans_segments_in_global_rows(tmp_path, backend):
    config, cache = backend
    first, second = unit(30, seed=1), unit(20, seed=2)
    segments = [segment(tmp_path / "segs", first, unit(5, seed=3)), segment(tmp_path / "segs", second, unit(4, seed=4))]
    store = open_vector_store(config, [], "t", cache)
    for s in segments:
        store.add_segment(s)
    try:
        assert store.count("passages") == 50 and store.count("phrases") == 9 and store.count("facts") == 0
        hits = store.search("passages", second[7], 3)
        assert hits[0][0] == 30 + 7 and hits[0][1] == pytest.approx(1.0, abs=1e-5)  # second segment's row 7
        assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
        assert store.search("facts", second[0], 5) == []
        assert store.search("passages", second[0], 0) == []
    finally:
        store.close()


def test_dead_rows_are_never_returned_and_limits_still_fill(tmp_path, backend):
    config, cache = backend
    vectors = unit(40, seed=5)
    seg = segment(tmp_path / "segs", vectors, unit(2, seed=6))
    store = open_vector_store(config, [], "t", cache)
    store.add_segment(seg)
    try:
        live = np.ones(40, bool)
        nearest = [row for row, _ in store.search("passages", vectors[0], 10)]
        live[nearest[:6]] = False  # the six nearest are deleted
        hits = store.search("passages", vectors[0], 10, live=live)
        assert len(hits) == 10 and not set(nearest[:6]) & {row for row, _ in hits}
        exact = np.argsort(-(vectors @ vectors[0]))
        assert [row for row, _ in hits] == [int(r) for r in exact if live[r]][:10]
        few = store.search("passages", vectors[0], 3, live=live)  # the first ask (3 + 3) finds only dead rows: asks again
        assert [row for row, _ in few] == [int(r) for r in exact if live[r]][:3]
        above = store.search("passages", vectors[0], 40, score_threshold=0.5)
        assert all(score >= 0.5 - 1e-6 for _, score in above)
        assert len(above) == int(np.sum(vectors @ vectors[0] >= 0.5 + 1e-6)) or len(above) == int(np.sum(vectors @ vectors[0] >= 0.5 - 1e-6))
    finally:
        store.close()


def test_reopened_store_answers_the_same(tmp_path, backend):
    config, cache = backend
    vectors = unit(25, seed=7)
    seg = segment(tmp_path / "segs", vectors, unit(3, seed=8))
    store = open_vector_store(config, [], "t", cache)
    store.add_segment(seg)
    before = store.search("passages", vectors[3], 5)
    store.close()
    again = open_vector_store(config, [seg], "t", cache)
    try:
        after = again.search("passages", vectors[3], 5)
        assert [row for row, _ in after] == [row for row, _ in before]
        assert [score for _, score in after] == pytest.approx([score for _, score in before], abs=1e-5)
    finally:
        again.close()


def test_retire_forgets_a_segment(tmp_path, backend):
    config, cache = backend
    seg = segment(tmp_path / "segs", unit(10, seed=9), unit(2, seed=10))
    store = open_vector_store(config, [], "t", cache)
    store.add_segment(seg)
    digests = {kind: seg.vector_file(kind)[1] for kind in ("passages", "phrases", "facts")}
    store.retire([(seg.name, digests)])
    store.close()
    if config.kind == "edge":
        assert not (cache / "shards" / digests["passages"][:40]).exists()
    else:
        from qdrant_client import QdrantClient

        client = QdrantClient(path=config.url.removeprefix("local:"))
        assert not any(c.name.startswith(f"t_{seg.name}") for c in client.get_collections().collections)
        client.close()


def test_edge_refuses_to_build_a_shard_from_altered_vectors(tmp_path):
    vectors = unit(12, seed=11)
    seg = segment(tmp_path / "segs", vectors, unit(2, seed=12))
    path, _ = seg.vector_file("passages")
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x80  # flip the sign of the last float
    path.write_bytes(bytes(data))
    store = open_vector_store(VectorsConfig(kind="edge"), [seg], "t", tmp_path / "cache")
    try:
        with pytest.raises(IndexFormatError, match="vectors.passages.npy: content does not match"):
            store.search("passages", vectors[0], 3)
    finally:
        store.close()


def test_merged_hits_are_best_first_with_ties_broken_by_row_and_dead_rows_dropped():
    from types import SimpleNamespace

    from hipporag_like.vectorstore.base import as_pairs, merge_hits, segment_hits

    point = lambda i, s: SimpleNamespace(id=i, score=s)  # noqa: E731  (a backend's scored point)
    live = np.ones(20, dtype=bool)
    live[11] = False
    first = segment_hits(0, [point(3, 0.9), point(1, 0.5)], live)
    second = segment_hits(10, [point(2, 0.9), point(1, 0.95), point(0, 0.5)], live)  # row 11 is dead
    rows, scores = merge_hits([first, second], 4)
    assert as_pairs(rows, scores) == [(3, 0.9), (12, 0.9), (1, 0.5), (10, 0.5)]
    assert rows.dtype == np.int64 and scores.dtype == np.float64
    assert as_pairs(*merge_hits([], 5)) == []


def test_big_edge_shards_are_searched_by_hnsw_and_small_ones_exactly(tmp_path):
    """A collection of at least hnsw_min_points vectors gets an HNSW shard (its own cache name);
    its answers stay close to exact, dead rows are still dropped, and retiring removes it."""
    from hipporag_like.vectorstore.edge import HNSW_SUFFIX

    big, small = unit(3000, dim=16, seed=5), unit(40, dim=16, seed=6)
    segs = [segment(tmp_path / "segs", big, unit(10, dim=16, seed=7)), segment(tmp_path / "segs", small, unit(3, dim=16, seed=8))]
    store = open_vector_store(VectorsConfig(kind="edge", hnsw_min_points=1000), [], "t", tmp_path / "cache")
    try:
        for s in segs:
            store.add_segment(s)
        shards = sorted(p.name for p in (tmp_path / "cache" / "shards").iterdir())
        assert sum(name.endswith(HNSW_SUFFIX) for name in shards) == 1  # only the 3,000 passages
        queries = unit(30, dim=16, seed=9)
        both = np.concatenate([big, small])
        found = 0
        for query in queries:
            exact = set(np.argsort(-(both @ query))[:10].tolist())
            found += len(exact & {row for row, _ in store.search("passages", query, 10)})
        assert found >= 0.9 * 10 * len(queries)
        live = np.ones(len(both), dtype=bool)
        target = int(np.argmax(both @ queries[0]))
        live[target] = False
        assert target not in [row for row, _ in store.search("passages", queries[0], 10, live=live)]
        store.retire([(segs[0].name, {k: segs[0].vector_file(k)[1] for k in ("passages", "phrases", "facts")})])
        assert not any(p.name.endswith(HNSW_SUFFIX) for p in (tmp_path / "cache" / "shards").iterdir())
    finally:
        store.close()


def test_edge_refuses_a_shard_the_disk_has_no_room_for_and_clears_killed_builds(tmp_path, monkeypatch):
    """On a full disk Qdrant Edge's memory-mapped writes kill the process (SIGBUS), and the
    killed build's temporary folder used to stay forever."""
    import os
    import time
    from collections import namedtuple

    from hipporag_like.errors import HippoError
    from hipporag_like.vectorstore import edge

    vectors = unit(12, seed=21)
    seg = segment(tmp_path / "segs", vectors, unit(2, seed=22))
    cache = tmp_path / "cache"
    killed, running = cache / "shards" / ".tmp-0123456789ab", cache / "shards" / ".tmp-ba9876543210"
    for folder in (killed, running):
        folder.mkdir(parents=True)
    old = time.time() - edge.STALE_BUILD_S - 60
    os.utime(killed, (old, old))
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(edge.shutil, "disk_usage", lambda path: usage(1 << 30, (1 << 30) - (1 << 20), 1 << 20))
    store = open_vector_store(VectorsConfig(kind="edge"), [seg], "t", cache)
    try:
        with pytest.raises(HippoError, match=r"cache/shards: 1 MB free, and building a vector shard here needs about 16 MB"):
            store.search("passages", vectors[0], 3)
        assert not killed.exists() and running.exists()  # only a build left for an hour is removed
        monkeypatch.undo()  # room again
        assert store.search("passages", vectors[0], 1)[0][0] == 0
    finally:
        store.close()


def test_edge_says_where_to_build_shards_when_the_cache_is_not_writable(tmp_path):
    from hipporag_like.errors import HippoError

    vectors = unit(4, seed=31)
    seg = segment(tmp_path / "segs", vectors, unit(2, seed=32))
    (tmp_path / "home").write_text("a file where the cache folder should be")
    store = open_vector_store(VectorsConfig(kind="edge"), [seg], "t", tmp_path / "home")
    try:
        with pytest.raises(HippoError, match=r"home/shards: cannot build vector shards here \(Not a directory\); "
                                             r"set HIPPORAG_LIKE_CACHE to a writable folder"):
            store.search("passages", vectors[0], 1)
    finally:
        store.close()
