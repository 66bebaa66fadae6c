"""Qdrant Edge: the real Qdrant engine in-process, one shard per segment and collection.

Qdrant Edge 0.9 cannot open a shard read-only: loading rewrites `edge_config.json`, deletes a
journal file and opens its payload storage for writing (it fails on a read-only file system).
So the index folder holds the canonical vectors (`vectors.<kind>.npy`, hashed in the manifest)
and the shards are a private, derived copy in the user's cache, keyed by the SHA-256 of the
vector file they were built from: the writer builds them as it writes, a reader on another
machine builds them once on first use (checking the bytes against that hash), and opening an
index writes nothing inside its folder. Shards have no write-ahead log: each is built whole in
a temporary folder, loaded once so that later loads change nothing, and renamed into place.

A shard of at least `hnsw_min_points` vectors is built with an HNSW graph over int8 scalar
quantized vectors (searched with rescoring on the float vectors): brute force costs a pass over
every vector per query (199,231 facts of dim 128: 8.6 ms), HNSW 0.25 ms with 97.6% of the exact
top 20 (eval/scale.md). Smaller shards, and so every small insert, stay exact. The build recipe
is part of the shard's cache name, so changing the threshold never reuses a shard built otherwise.
"""

from __future__ import annotations

import os
import secrets
import shutil
import threading
import time
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from ..errors import HippoError, IndexFormatError
from ..segments import Segment, known_digest
from .base import COLLECTIONS, RetiredSegment, as_pairs, merge_hits, search_live

VECTOR_NAME = "v"
HNSW_SUFFIX = "-hnsw-q8"  # cache name of shards built with HNSW over int8-quantized vectors
HNSW_EF = 128  # candidates explored per HNSW query (at least the number of points asked for)
_UPSERT_BATCH = 4096


STALE_BUILD_S = 3600  # a shard build left this long was killed: nothing finishes it
ROOM_FACTOR, ROOM_SLACK = 2, 16 << 20  # a shard took 1.1x its vectors on disk (2.1x apparent): keep a margin


def _clear_stale_builds(cache_root: Path) -> None:
    """Remove shard builds that a killed process left half-done (their `finally` never ran)."""
    cutoff = time.time() - STALE_BUILD_S
    for leftover in cache_root.glob(".tmp-*"):
        try:
            if leftover.stat().st_mtime < cutoff:
                shutil.rmtree(leftover, ignore_errors=True)
        except OSError:
            pass  # another process removed it first


def _check_room(cache_root: Path, vector_bytes: int) -> None:
    """Qdrant Edge writes a shard through memory maps: on a full disk that is a bus error that
    kills the process (SIGBUS), not an exception. So refuse, in one line, before starting."""
    free = shutil.disk_usage(cache_root).free
    needed = ROOM_FACTOR * vector_bytes + ROOM_SLACK
    if free < needed:
        raise HippoError(f"{cache_root}: {free / 2**20:.0f} MB free, and building a vector shard here needs about "
                         f"{needed / 2**20:.0f} MB; free space, or set HIPPORAG_LIKE_CACHE to a folder on a larger disk")


class EdgeVectorStore:
    """Searches the shards of a version's segments, each built on demand in `cache_root`."""

    def __init__(self, cache_root: Path, segments: Iterable[Segment] = (), hnsw_min_points: int = 0) -> None:
        import qdrant_edge as qe

        self._qe = qe
        self.cache_root = Path(cache_root)
        self.hnsw_min_points = hnsw_min_points  # 0: every shard exact
        self._parts: dict[str, list[tuple[int, int, Path]]] = {c: [] for c in COLLECTIONS}  # (first row, size, shard path)
        self._segments: list[Segment] = []
        self._shards: dict[Path, Any] = {}
        self._lock = threading.Lock()  # request threads of a server share one store
        for segment in segments:
            self.add_segment(segment, build=False)

    def add_segment(self, segment: Segment, build: bool = True) -> None:
        self._segments.append(segment)
        for collection in COLLECTIONS:
            parts = self._parts[collection]
            start = parts[-1][0] + parts[-1][1] if parts else 0
            size = segment.counts[collection]
            path, digest = segment.vector_file(collection)
            shard_dir = self.cache_root / (digest[:40] + (HNSW_SUFFIX if self._hnsw(size) else ""))
            parts.append((start, size, shard_dir))
            if build and size:
                self._ensure(shard_dir, path, digest, size)

    def _hnsw(self, size: int) -> bool:
        return 0 < self.hnsw_min_points <= size

    def _ensure(self, shard_dir: Path, vector_file: Path, digest: str, size: int) -> Path:
        """The shard for a vector file, building it (after checking the file's hash) if absent."""
        if (shard_dir / "edge_config.json").is_file():
            return shard_dir
        if known_digest(vector_file) != digest:
            raise IndexFormatError(f"{vector_file}: content does not match the manifest (damaged or edited)")
        vectors = np.load(vector_file, mmap_mode="r", allow_pickle=False)
        if vectors.shape[0] != size:
            raise IndexFormatError(f"{vector_file}: holds {vectors.shape[0]} vectors, expected {size}")
        qe = self._qe
        try:
            self.cache_root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a read-only home in a container, most often
            raise HippoError(f"{self.cache_root}: cannot build vector shards here ({exc.strerror}); "
                             "set HIPPORAG_LIKE_CACHE to a writable folder") from None
        if not os.access(self.cache_root, os.W_OK):
            raise HippoError(f"{self.cache_root}: cannot build vector shards here (not writable); "
                             "set HIPPORAG_LIKE_CACHE to a writable folder")
        _clear_stale_builds(self.cache_root)
        _check_room(self.cache_root, vectors.nbytes)
        tmp = self.cache_root / f".tmp-{secrets.token_hex(6)}"
        try:
            hnsw = self._hnsw(size)
            params = qe.EdgeVectorParams(
                size=int(vectors.shape[1]), distance=qe.Distance.Cosine,
                quantization_config=qe.ScalarQuantizationConfig(type=qe.ScalarType.Int8, always_ram=True) if hnsw else None,
            )
            shard = qe.EdgeShard.create(str(tmp), qe.EdgeConfig(vectors={VECTOR_NAME: params}, wal_enabled=False))
            for start in range(0, len(vectors), _UPSERT_BATCH):
                block = np.asarray(vectors[start : start + _UPSERT_BATCH], dtype=np.float32)
                shard.update(qe.UpdateOperation.upsert_points(
                    [qe.Point(start + i, {VECTOR_NAME: row.tolist()}) for i, row in enumerate(block)]
                ))
            if hnsw:
                shard.optimize()  # builds the HNSW graph and the quantized copy
            shard.flush()
            shard.close()
            qe.EdgeShard.load(str(tmp)).close()  # settle: the first load rewrites files, later ones do not
            try:
                os.rename(tmp, shard_dir)
            except OSError:
                if not (shard_dir / "edge_config.json").is_file():
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return shard_dir

    def _shard(self, collection: str, index: int) -> Any:
        start, size, shard_dir = self._parts[collection][index]
        shard = self._shards.get(shard_dir)
        if shard is not None:
            return shard
        with self._lock:
            return self._load_shard(collection, index)

    def _load_shard(self, collection: str, index: int) -> Any:
        start, size, shard_dir = self._parts[collection][index]
        if shard_dir not in self._shards:
            segment = self._segments[index]
            path, digest = segment.vector_file(collection)
            self._ensure(shard_dir, path, digest, size)
            try:
                self._shards[shard_dir] = self._qe.EdgeShard.load(str(shard_dir))
            except Exception as exc:  # a damaged cache entry: rebuild it once from the verified vectors
                shutil.rmtree(shard_dir, ignore_errors=True)
                self._ensure(shard_dir, path, digest, size)
                try:
                    self._shards[shard_dir] = self._qe.EdgeShard.load(str(shard_dir))
                except Exception:
                    raise IndexFormatError(f"{shard_dir}: cannot load the cached Qdrant shard ({str(exc)[:80]})") from None
        return self._shards[shard_dir]

    def search(self, collection: str, vector: np.ndarray, limit: int, *, live: np.ndarray | None = None,
               score_threshold: float | None = None) -> list[tuple[int, float]]:
        return as_pairs(*self.search_arrays(collection, vector, limit, live=live, score_threshold=score_threshold))

    def search_arrays(self, collection: str, vector: np.ndarray, limit: int, *, live: np.ndarray | None = None,
                      score_threshold: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        if limit <= 0:
            return merge_hits([], 0)
        qe = self._qe
        query = vector.astype(np.float32).tolist()
        found = []
        for index, (start, size, _) in enumerate(self._parts[collection]):
            if size == 0:
                continue
            shard, hnsw = self._shard(collection, index), self._hnsw(size)

            def ask(n: int, shard: Any = shard, hnsw: bool = hnsw) -> Any:
                params = None
                if hnsw:
                    params = qe.SearchParams(hnsw_ef=max(HNSW_EF, n), quantization=qe.QuantizationSearchParams(rescore=True, oversampling=2.0))
                return shard.query(qe.QueryRequest(limit=n, query=qe.Query.Nearest(query, using=VECTOR_NAME), with_payload=False,
                                                   score_threshold=score_threshold, params=params))

            found.append(search_live(ask, start, size, limit, live))
        return merge_hits(found, limit)

    def count(self, collection: str) -> int:
        return sum(int(self._shard(collection, i).count(self._qe.CountRequest())) for i, part in enumerate(self._parts[collection]) if part[1])

    def retire(self, segments: Iterable[RetiredSegment]) -> None:
        """Cached shards are derived data: drop the ones built for retired segments' vectors."""
        for _, digests in segments:
            for digest in digests.values():
                if len(digest) >= 40:
                    shutil.rmtree(self.cache_root / digest[:40], ignore_errors=True)
                    shutil.rmtree(self.cache_root / (digest[:40] + HNSW_SUFFIX), ignore_errors=True)

    def close(self) -> None:
        for shard in self._shards.values():
            shard.close()
        self._shards.clear()
