"""The protocol the index needs from a vector store."""

from __future__ import annotations

from typing import Protocol, Sequence

import numpy as np

COLLECTIONS = ("passages", "phrases", "facts")


class VectorStore(Protocol):
    def upsert(self, collection: str, ids: Sequence[int], vectors: np.ndarray) -> None:
        """Insert or replace points; ids are stable 63-bit integers."""
        ...

    def search(self, collection: str, vector: np.ndarray, limit: int, score_threshold: float | None = None) -> list[tuple[int, float]]:
        """(id, cosine similarity) pairs, best first, optionally only those at or above a score."""
        ...

    def delete(self, collection: str, ids: Sequence[int]) -> None: ...

    def count(self, collection: str) -> int: ...

    def close(self) -> None: ...
