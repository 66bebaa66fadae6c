"""A Qdrant server or cluster through qdrant-client, for vector search off this machine.

Each segment's vectors go to collections named `<prefix>_<segment>_<collection>`, point id =
row in the segment; the prefix is unique per index and kept in the manifest. A segment's
collections are written before the version that lists them is committed and dropped only
once no kept version lists it, so readers of an older version keep working.
"""

from __future__ import annotations

import os
import warnings
from typing import Any, Iterable

import numpy as np

from ..errors import HippoError
from ..segments import Segment
from ..urls import redact_url
from .base import COLLECTIONS, RetiredSegment, as_pairs, merge_hits, search_live

_BATCH = 512
# qdrant-client checks the server's version in a thread of its own and warns, in two lines, when
# the server cannot be reached; the first real call then reports that in one (see _Reported).
warnings.filterwarnings("ignore", message="Failed to obtain server version", category=UserWarning)


class _Reported:
    """The qdrant-client with its transport failures turned into one-line errors naming the
    server: a wrong host or a stopped server is the user's to fix, not an internal error."""

    def __init__(self, client: Any, url: str) -> None:
        self._client, self._url = client, redact_url(url)

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)
        if not callable(method):
            return method

        def call(*args: Any, **kwargs: Any) -> Any:
            from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

            try:
                return method(*args, **kwargs)
            except (ResponseHandlingException, ConnectionError) as exc:
                reason = " ".join(str(getattr(exc, "source", None) or exc).split())
                raise HippoError(f"cannot reach Qdrant at {self._url} ({reason})") from None
            except UnexpectedResponse as exc:
                raise HippoError(f"Qdrant at {self._url} answered HTTP {exc.status_code} to {name} ({exc.reason_phrase})") from None

        return call


class QdrantServerStore:
    def __init__(self, client: Any, prefix: str, segments: Iterable[Segment] = ()) -> None:
        self.client = client
        self.prefix = prefix
        self._parts: dict[str, list[tuple[int, int, str]]] = {c: [] for c in COLLECTIONS}
        for segment in segments:
            self._register(segment)

    @classmethod
    def connect(cls, url: str, prefix: str, segments: Iterable[Segment] = (), api_key_env: str = "QDRANT_API_KEY") -> "QdrantServerStore":
        """`http(s)://host:port` for a server or cluster; `local:PATH` for qdrant-client's local
        mode (the server's API over files, one process at a time: for tests and small trials;
        note that this local mode pickles its storage, unlike the rest of the index)."""
        from qdrant_client import QdrantClient

        if url.startswith("local:"):
            return cls(QdrantClient(path=url.removeprefix("local:")), prefix, segments)
        return cls(_Reported(QdrantClient(url=url, api_key=os.environ.get(api_key_env)), url), prefix, segments)

    def name(self, segment: str, collection: str) -> str:
        return f"{self.prefix}_{segment}_{collection}"

    def _register(self, segment: Segment) -> None:
        for collection in COLLECTIONS:
            parts = self._parts[collection]
            start = parts[-1][0] + parts[-1][1] if parts else 0
            parts.append((start, segment.counts[collection], self.name(segment.name, collection)))

    def add_segment(self, segment: Segment) -> None:
        from qdrant_client import models

        self._register(segment)
        for collection in COLLECTIONS:
            vectors = segment.vectors(collection)
            if not len(vectors):
                continue
            name = self.name(segment.name, collection)
            if self.client.collection_exists(name):
                self.client.delete_collection(name)  # a leftover of an interrupted write
            self.client.create_collection(name, vectors_config=models.VectorParams(size=int(vectors.shape[1]), distance=models.Distance.COSINE))
            for start in range(0, len(vectors), _BATCH):
                block = np.asarray(vectors[start : start + _BATCH], dtype=np.float32)
                self.client.upsert(name, points=models.Batch(ids=list(range(start, start + len(block))), vectors=block.tolist()))

    def search(self, collection: str, vector: np.ndarray, limit: int, *, live: np.ndarray | None = None,
               score_threshold: float | None = None) -> list[tuple[int, float]]:
        return as_pairs(*self.search_arrays(collection, vector, limit, live=live, score_threshold=score_threshold))

    def search_arrays(self, collection: str, vector: np.ndarray, limit: int, *, live: np.ndarray | None = None,
                      score_threshold: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        if limit <= 0:
            return merge_hits([], 0)
        found = []
        query = vector.astype(np.float32).tolist()
        for start, size, name in self._parts[collection]:
            if size == 0:
                continue

            def ask(n: int, name: str = name) -> Any:
                return self.client.query_points(name, query=query, limit=n, score_threshold=score_threshold).points

            found.append(search_live(ask, start, size, limit, live))
        return merge_hits(found, limit)

    def count(self, collection: str) -> int:
        return sum(int(self.client.count(name).count) for _, size, name in self._parts[collection] if size and self.client.collection_exists(name))

    def retire(self, segments: Iterable[RetiredSegment]) -> None:
        for segment, _ in segments:
            for collection in COLLECTIONS:
                name = self.name(segment, collection)
                if self.client.collection_exists(name):
                    self.client.delete_collection(name)

    def close(self) -> None:
        self.client.close()
