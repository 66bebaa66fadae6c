"""Open the vector store a pipeline names: embedded Qdrant Edge, or a Qdrant server.

The only place that knows the backends' kinds."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from ..cache import default_cache_dir
from ..config import VectorsConfig
from ..errors import HippoError
from ..segments import Segment
from .base import VectorStore

SHARDS_DIR = "shards"


def open_vector_store(config: VectorsConfig, segments: Iterable[Segment], prefix: str, cache_dir: Path | None = None) -> VectorStore:
    """Shards derived from the segments in the user's cache, or the server's collections."""
    if config.kind == "edge":
        from .edge import EdgeVectorStore

        return EdgeVectorStore((cache_dir or default_cache_dir()) / SHARDS_DIR, segments, config.hnsw_min_points)
    if config.kind == "qdrant":
        from .server import QdrantServerStore

        if not config.url:
            raise HippoError("vectors.url is required for the 'qdrant' vector store (or pass --qdrant-url)")
        return QdrantServerStore.connect(config.url, prefix, segments, config.api_key_env)
    raise HippoError(f"vectors.kind: unknown vector store '{config.kind}' (use edge or qdrant)")
