"""Open the vector store a pipeline names: embedded Qdrant Edge, or a Qdrant server."""

from __future__ import annotations

from pathlib import Path

from ..config import VectorsConfig
from ..errors import HippoError
from .base import VectorStore
from .edge import EdgeVectorStore

VECTORS_DIR = "vectors"


def open_vector_store(config: VectorsConfig, folder: Path, dim: int, prefix: str) -> VectorStore:
    """Qdrant Edge shards inside the version folder, or the server's collections named by prefix."""
    if config.kind == "edge":
        return EdgeVectorStore(folder / VECTORS_DIR, dim)
    if config.kind == "qdrant":
        from .server import QdrantServerStore

        if not config.url:
            raise HippoError("vectors.url is required for the 'qdrant' vector store (or pass --qdrant-url)")
        return QdrantServerStore.connect(config.url, prefix, dim, config.api_key_env)
    raise HippoError(f"vectors.kind: unknown vector store '{config.kind}' (use edge or qdrant)")
