"""Qdrant Edge: the real Qdrant engine in-process, one on-disk shard per collection.

Shards are created without a write-ahead log: an index folder is written once in a staging
folder, flushed, and only then published, so the WAL adds nothing, and without it any number
of processes can open the same published shard for reading (a WAL is locked by its opener).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

VECTOR_NAME = "v"
_UPSERT_BATCH = 2048


class EdgeVectorStore:
    """Shards live in `folder/<collection>/`; created on first write, loaded otherwise."""

    def __init__(self, folder: str | Path, dim: int) -> None:
        import qdrant_edge as qe

        self._qe = qe
        self.folder = Path(folder)
        self.dim = dim
        self._shards: dict[str, Any] = {}

    def _shard(self, collection: str, create: bool) -> Any:
        if collection not in self._shards:
            path = self.folder / collection
            qe = self._qe
            if path.exists():
                self._shards[collection] = qe.EdgeShard.load(str(path))
            elif create:
                path.mkdir(parents=True)
                config = qe.EdgeConfig(
                    vectors={VECTOR_NAME: qe.EdgeVectorParams(size=self.dim, distance=qe.Distance.Cosine)},
                    wal_enabled=False,
                )
                self._shards[collection] = qe.EdgeShard.create(str(path), config)
            else:
                return None
        return self._shards[collection]

    def upsert(self, collection: str, ids: Sequence[int], vectors: np.ndarray) -> None:
        qe = self._qe
        shard = self._shard(collection, create=True)
        for start in range(0, len(ids), _UPSERT_BATCH):
            points = [
                qe.Point(int(i), {VECTOR_NAME: v.tolist()})
                for i, v in zip(ids[start : start + _UPSERT_BATCH], vectors[start : start + _UPSERT_BATCH])
            ]
            shard.update(qe.UpdateOperation.upsert_points(points))

    def search(self, collection: str, vector: np.ndarray, limit: int, score_threshold: float | None = None) -> list[tuple[int, float]]:
        shard = self._shard(collection, create=False)
        if shard is None or limit <= 0:
            return []
        qe = self._qe
        request = qe.QueryRequest(
            limit=limit, query=qe.Query.Nearest(vector.tolist(), using=VECTOR_NAME), with_payload=False, score_threshold=score_threshold
        )
        return [(int(p.id), float(p.score)) for p in shard.query(request)]

    def delete(self, collection: str, ids: Sequence[int]) -> None:
        shard = self._shard(collection, create=False)
        if shard is not None and len(ids):
            shard.update(self._qe.UpdateOperation.delete_points([int(i) for i in ids]))

    def count(self, collection: str) -> int:
        shard = self._shard(collection, create=False)
        return 0 if shard is None else int(shard.count(self._qe.CountRequest()))

    def flush(self) -> None:
        for shard in self._shards.values():
            shard.flush()

    def close(self) -> None:
        for shard in self._shards.values():
            shard.close()
        self._shards.clear()
