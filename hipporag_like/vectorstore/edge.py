"""Qdrant Edge: the real Qdrant engine in-process, one shard per segment and collection.

Qdrant Edge 0.9 cannot open a shard read-only: loading rewrites `edge_config.json`, deletes a
journal file and opens its payload storage for writing (it fails on a read-only file system).
So the index folder holds the canonical vectors (`vectors.<kind>.npy`, hashed in the manifest)
and the shards are a private, derived copy in the user's cache, keyed by the SHA-256 of the
vector file they were built from: the writer builds them as it writes, a reader on another
machine builds them once on first use (checking the bytes against that hash), and opening an
index writes nothing inside its folder. Shards have no write-ahead log: each is built whole in
a temporary folder, loaded once so that later loads change nothing, and renamed into place.
"""

from __future__ import annotations

import os
import secrets
import threading
import shutil
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from ..errors import IndexFormatError
from ..segments import Segment, file_digest
from .base import COLLECTIONS, RetiredSegment, as_pairs, merge_hits, segment_hits, segment_limit

VECTOR_NAME = "v"
_UPSERT_BATCH = 4096


class EdgeVectorStore:
    """Searches the shards of a version's segments, each built on demand in `cache_root`."""

    def __init__(self, cache_root: Path, segments: Iterable[Segment] = ()) -> None:
        import qdrant_edge as qe

        self._qe = qe
        self.cache_root = Path(cache_root)
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
            shard_dir = self.cache_root / digest[:40]
            parts.append((start, size, shard_dir))
            if build and size:
                self._ensure(shard_dir, path, digest, size)

    def _ensure(self, shard_dir: Path, vector_file: Path, digest: str, size: int) -> Path:
        """The shard for a vector file, building it (after checking the file's hash) if absent."""
        if (shard_dir / "edge_config.json").is_file():
            return shard_dir
        if file_digest(vector_file) != digest:
            raise IndexFormatError(f"{vector_file}: content does not match the manifest (damaged or edited)")
        vectors = np.load(vector_file, mmap_mode="r", allow_pickle=False)
        if vectors.shape[0] != size:
            raise IndexFormatError(f"{vector_file}: holds {vectors.shape[0]} vectors, expected {size}")
        qe = self._qe
        self.cache_root.mkdir(parents=True, exist_ok=True)
        tmp = self.cache_root / f".tmp-{secrets.token_hex(6)}"
        try:
            config = qe.EdgeConfig(
                vectors={VECTOR_NAME: qe.EdgeVectorParams(size=int(vectors.shape[1]), distance=qe.Distance.Cosine)}, wal_enabled=False
            )
            shard = qe.EdgeShard.create(str(tmp), config)
            for start in range(0, len(vectors), _UPSERT_BATCH):
                block = np.asarray(vectors[start : start + _UPSERT_BATCH], dtype=np.float32)
                shard.update(qe.UpdateOperation.upsert_points(
                    [qe.Point(start + i, {VECTOR_NAME: row.tolist()}) for i, row in enumerate(block)]
                ))
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
            ask = segment_limit(limit, start, size, live)
            request = qe.QueryRequest(limit=ask, query=qe.Query.Nearest(query, using=VECTOR_NAME), with_payload=False,
                                      score_threshold=score_threshold)
            found.append(segment_hits(start, self._shard(collection, index).query(request), live))
        return merge_hits(found, limit)

    def count(self, collection: str) -> int:
        return sum(int(self._shard(collection, i).count(self._qe.CountRequest())) for i, part in enumerate(self._parts[collection]) if part[1])

    def retire(self, segments: Iterable[RetiredSegment]) -> None:
        """Cached shards are derived data: drop the ones built for retired segments' vectors."""
        for _, digests in segments:
            for digest in digests.values():
                if len(digest) >= 40:
                    shutil.rmtree(self.cache_root / digest[:40], ignore_errors=True)

    def close(self) -> None:
        for shard in self._shards.values():
            shard.close()
        self._shards.clear()
