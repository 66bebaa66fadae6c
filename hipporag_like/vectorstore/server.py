"""A Qdrant server or cluster through qdrant-client, for corpora beyond one machine's disk.

Collections are named `<prefix>_<collection>`; the prefix is unique per index build and kept
in the manifest, so a rebuild writes new collections and only then retires the old ones.
"""

from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np

_BATCH = 512


class QdrantServerStore:
    def __init__(self, client: Any, prefix: str, dim: int) -> None:
        self.client = client
        self.prefix = prefix
        self.dim = dim

    @classmethod
    def connect(cls, url: str, prefix: str, dim: int, api_key_env: str = "QDRANT_API_KEY") -> "QdrantServerStore":
        """`http(s)://host:port` for a server or cluster; `local:PATH` for qdrant-client's local
        mode (the server's API over files, one process at a time: for tests and small trials)."""
        from qdrant_client import QdrantClient

        if url.startswith("local:"):
            return cls(QdrantClient(path=url.removeprefix("local:")), prefix, dim)
        return cls(QdrantClient(url=url, api_key=os.environ.get(api_key_env)), prefix, dim)

    def name(self, collection: str) -> str:
        return f"{self.prefix}_{collection}"

    def upsert(self, collection: str, ids: Sequence[int], vectors: np.ndarray) -> None:
        from qdrant_client import models

        name = self.name(collection)
        if not self.client.collection_exists(name):
            self.client.create_collection(name, vectors_config=models.VectorParams(size=self.dim, distance=models.Distance.COSINE))
        for start in range(0, len(ids), _BATCH):
            self.client.upsert(
                name,
                points=models.Batch(ids=[int(i) for i in ids[start : start + _BATCH]], vectors=vectors[start : start + _BATCH].tolist()),
            )

    def search(self, collection: str, vector: np.ndarray, limit: int, score_threshold: float | None = None) -> list[tuple[int, float]]:
        name = self.name(collection)
        if limit <= 0 or not self.client.collection_exists(name):
            return []
        response = self.client.query_points(name, query=vector.tolist(), limit=limit, score_threshold=score_threshold)
        return [(int(p.id), float(p.score)) for p in response.points]

    def delete(self, collection: str, ids: Sequence[int]) -> None:
        from qdrant_client import models

        if len(ids) and self.client.collection_exists(self.name(collection)):
            self.client.delete(self.name(collection), points_selector=models.PointIdsList(points=[int(i) for i in ids]))

    def count(self, collection: str) -> int:
        name = self.name(collection)
        return int(self.client.count(name).count) if self.client.collection_exists(name) else 0

    def drop(self) -> None:
        for collection in ("passages", "phrases", "facts"):
            if self.client.collection_exists(self.name(collection)):
                self.client.delete_collection(self.name(collection))

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.client.close()
