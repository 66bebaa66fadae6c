"""Vector stores behind one small protocol: Qdrant Edge (embedded) or a Qdrant server."""

from .base import VectorStore, COLLECTIONS
from .edge import EdgeVectorStore

__all__ = ["VectorStore", "EdgeVectorStore", "COLLECTIONS"]
