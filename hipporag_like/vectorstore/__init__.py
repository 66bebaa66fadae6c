"""Vector stores behind one small protocol: Qdrant Edge (embedded) or a Qdrant server."""

from .base import COLLECTIONS, VectorStore
from .factory import open_vector_store

__all__ = ["VectorStore", "COLLECTIONS", "open_vector_store"]
