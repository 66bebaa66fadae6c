"""Both vector stores behind the one protocol: Qdrant Edge on disk, and the qdrant-client path.

The server path runs against qdrant-client's local mode, which speaks the server's API.
"""

from __future__ import annotations

import numpy as np
import pytest

from hipporag_like.vectorstore.edge import EdgeVectorStore
from hipporag_like.vectorstore.server import QdrantServerStore


def unit(rows: int, dim: int = 8, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(rows, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def server_store(tmp_path):
    from qdrant_client import QdrantClient

    return QdrantServerStore(QdrantClient(path=str(tmp_path / "local")), "test", 8)


@pytest.mark.parametrize("make", [lambda p: EdgeVectorStore(p / "edge", 8), server_store], ids=["edge", "server"])
def test_upsert_search_delete(tmp_path, make):
    store = make(tmp_path)
    vectors = unit(50)
    ids = [10**15 + i for i in range(50)]
    store.upsert("facts", ids, vectors)
    assert store.count("facts") == 50
    hits = store.search("facts", vectors[7], 3)
    assert hits[0][0] == ids[7] and hits[0][1] == pytest.approx(1.0, abs=1e-5)
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    store.delete("facts", [ids[7]])
    assert store.count("facts") == 49
    assert ids[7] not in [i for i, _ in store.search("facts", vectors[7], 5)]
    assert store.search("missing", vectors[0], 3) == []
    store.close()


def test_edge_store_survives_reopen(tmp_path):
    store = EdgeVectorStore(tmp_path / "v", 8)
    store.upsert("passages", [1, 2, 3], unit(3))
    store.flush()
    store.close()
    again = EdgeVectorStore(tmp_path / "v", 8)
    assert again.count("passages") == 3
    again.close()
