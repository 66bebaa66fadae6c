"""The library's front door: build an index from passages, open it, retrieve from it.

    from hipporag_like import Index, read_corpus
    index = Index.build(read_corpus(["corpus.json"]).passages, "indexes/demo")
    for hit in index.retrieve("Where was the founder of X born?", k=5).passages:
        print(hit.score, hit.title)
"""

from __future__ import annotations

import shutil
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence


from . import __version__
from .cache import KeyValueCache, default_cache_dir
from .config import EmbedderConfig, PipelineConfig, RetrievalConfig, VectorsConfig
from .corpus import Passage
from .embedding import CachedEmbedder, Embedder, make_embedder
from .errors import HippoError, IndexFormatError, InputError
from .extraction.base import CachedExtractor, Extractor
from .extraction.factory import make_extractor
from .graph import build_edges, collect, synonym_pairs
from .progress import QUIET, Progress
from .results import RetrievalResult
from .retrieval import Retriever, fact_point_id, passage_point_id, phrase_point_id
from .text import content_hash
from .store import FORMAT, FORMAT_VERSION, VECTORS_DIR, IndexData, publish, read_data, read_manifest, staging_folder, write_data, write_manifest
from .vectorstore.base import VectorStore
from .vectorstore.edge import EdgeVectorStore


def open_vector_store(config: VectorsConfig, folder: Path, dim: int, prefix: str) -> VectorStore:
    """The embedded Qdrant Edge shards inside the index folder, or a Qdrant server."""
    if config.kind == "edge":
        return EdgeVectorStore(folder / VECTORS_DIR, dim)
    if config.kind == "qdrant":
        from .vectorstore.server import QdrantServerStore

        if not config.url:
            raise HippoError("vectors.url is required for the 'qdrant' vector store (or pass --qdrant-url)")
        return QdrantServerStore.connect(config.url, prefix, dim, config.api_key_env)
    raise HippoError(f"vectors.kind: unknown vector store '{config.kind}' (use edge or qdrant)")


def _question_entity_function(config: PipelineConfig):
    """Question-side entity extraction for ppr-entity: spaCy, loaded on first use."""
    from .extraction.spacy_extractor import SpacyExtractor

    extractor = SpacyExtractor(model=config.extractor.spacy_model)
    return extractor.question_entities


class Index:
    """A built index: graph data in memory, vectors in the store, a retriever over both."""

    def __init__(self, path: Path, manifest: dict[str, Any], config: PipelineConfig, data: IndexData, store: VectorStore, embedder: Embedder) -> None:
        self.path = path
        self.manifest = manifest
        self.config = config
        self.data = data
        self.store = store
        self.embedder = embedder
        self.retriever = Retriever(data, store, embedder, config.retrieval, _question_entity_function(config))

    # -- building ----------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        passages: Sequence[Passage],
        path: str | Path,
        config: PipelineConfig = PipelineConfig(),
        *,
        cache_dir: str | Path | None = None,
        progress: Progress = QUIET,
        extractor: Extractor | None = None,
    ) -> "Index":
        """Extract, embed, link and write a complete index at `path` (replacing one there)."""
        path = Path(path)
        if not passages:
            raise InputError("the corpus holds no passages")
        if path.exists() and not path.is_dir():
            raise IndexFormatError(f"{path}: is a file, not an index folder")
        started = time.monotonic()
        cache = KeyValueCache(cache_dir or default_cache_dir())
        try:
            cached = CachedExtractor(extractor or make_extractor(config.extractor), cache)
            extractions = cached.extract(passages, progress)
            phrases, facts, relations = collect(extractions, config.graph)
            embedder = CachedEmbedder(make_embedder(config.embedder.kind, config.embedder.model, config.embedder.base_url, config.embedder.api_key_env), cache)
            passage_vectors = embedder.embed([p.content for p in passages], progress, "embedding passages")
            phrase_vectors = embedder.embed(phrases.keys, progress, "embedding phrases")
            fact_vectors = embedder.embed(facts.texts, progress, "embedding facts")
        finally:
            cache.close()
        synonyms = synonym_pairs(phrase_vectors, config.graph.synonymy_threshold, config.graph.synonymy_top_k)
        edges = build_edges(len(passages), phrases, relations, synonyms)
        data = IndexData(list(passages), extractions, phrases, facts, edges)
        prefix = f"hl_{uuid.uuid4().hex[:12]}"
        staging = staging_folder(path)
        try:
            hashes = write_data(staging, data)
            store = open_vector_store(config.vectors, staging, embedder.dim, prefix)
            with progress.bar("writing vectors", total=3) as bar:
                store.upsert("passages", [passage_point_id(p.id) for p in passages], passage_vectors)
                bar.update()
                store.upsert("phrases", [phrase_point_id(k) for k in phrases.keys], phrase_vectors)
                bar.update()
                store.upsert("facts", [fact_point_id(t) for t in facts.triples], fact_vectors)
                bar.update()
            if isinstance(store, EdgeVectorStore):
                store.flush()
            store.close()
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "library_version": __version__,
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "build_seconds": round(time.monotonic() - started, 2),
                "config": config.to_dict(),
                "embedder": {"fingerprint": embedder.fingerprint, "dim": embedder.dim},
                "extractor": {"fingerprint": cached.fingerprint, "cache_hits": cached.hits},
                "vectors": {"kind": config.vectors.kind, "prefix": prefix},
                "corpus_hash": corpus_hash(passages),
                "counts": {
                    "passages": len(passages),
                    "phrases": len(phrases.keys),
                    "facts": len(facts.triples),
                    "dropped_triples": sum(e.dropped_triples for e in extractions),
                    "edges": edges.count_by_kind(),
                },
                "files": hashes,
            }
            write_manifest(staging, manifest)
            old_prefix = _old_server_prefix(path)
            publish(staging, path)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        if old_prefix and config.vectors.kind == "qdrant":
            open_vector_store(config.vectors, path, embedder.dim, old_prefix).drop()  # type: ignore[attr-defined]
        return cls.open(path)

    # -- opening -----------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        retrieval: RetrievalConfig | None = None,
        embedder: EmbedderConfig | None = None,
        qdrant_url: str | None = None,
    ) -> "Index":
        """Open a built index. Refuses an unknown format or a different embedding model."""
        path = Path(path)
        manifest = read_manifest(path)
        try:
            config = PipelineConfig.from_dict(manifest["config"], f"{path}/manifest.json")
        except InputError as exc:
            raise IndexFormatError(str(exc)) from None
        if embedder is not None and embedder != config.embedder:
            raise IndexFormatError(
                f"{path}: index was built with embedder '{config.embedder.model}', not '{embedder.model}'; rebuild it to change models"
            )
        built_with = manifest["embedder"].get("fingerprint")
        model = make_embedder(config.embedder.kind, config.embedder.model, config.embedder.base_url, config.embedder.api_key_env)
        if model.fingerprint != built_with:
            raise IndexFormatError(f"{path}: index was built with embedder '{built_with}', this set-up has '{model.fingerprint}'")
        if retrieval is not None:
            config = replace(config, retrieval=retrieval)
        if qdrant_url:
            config = config.with_overrides("vectors", url=qdrant_url)
        data = read_data(path, manifest["files"])
        store = open_vector_store(config.vectors, path, int(manifest["embedder"]["dim"]), manifest.get("vectors", {}).get("prefix", ""))
        return cls(path, manifest, config, data, store, model)

    # -- using -------------------------------------------------------------------------------
    def retrieve(self, question: str, k: int = 5, mode: str | None = None) -> RetrievalResult:
        """The k passages that best answer `question`, with the reasons they were chosen."""
        return self.retriever.retrieve(question, k, mode)

    def stats(self) -> dict[str, Any]:
        counts = dict(self.manifest["counts"])
        return {
            "path": str(self.path),
            "format_version": self.manifest["format_version"],
            "embedder": self.manifest["embedder"]["fingerprint"],
            "extractor": self.manifest["extractor"]["fingerprint"],
            **counts,
        }

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def corpus_hash(passages: Sequence[Passage]) -> str:
    """Identifies a corpus by its passage ids in order: lets callers reuse a matching index."""
    return content_hash("\n".join(p.id for p in passages).encode("utf-8"))


def _old_server_prefix(path: Path) -> str | None:
    try:
        manifest = read_manifest(path)
    except IndexFormatError:
        return None
    vectors = manifest.get("vectors", {})
    return vectors.get("prefix") if vectors.get("kind") == "qdrant" else None


__all__ = ["Index", "open_vector_store"]
