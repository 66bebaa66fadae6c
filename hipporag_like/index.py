"""The library's front door: build an index from passages, change it, open it, retrieve.

    from hipporag_like import Index, read_corpus
    index = Index.build(read_corpus(["corpus.json"]).passages, "indexes/demo")
    for hit in index.retrieve("Where was the founder of X born?", k=5).passages:
        print(hit.score, hit.title)

Every write (build, insert, delete, update) is one transaction over the versioned folder
(`folder.py`): it stages a complete new version and commits it atomically.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from . import __version__
from .cache import KeyValueCache, default_cache_dir
from .changes import ChangeSummary, apply_change
from .config import EmbedderConfig, PipelineConfig, RetrievalConfig
from .corpus import Passage
from .embedding import Embedder, make_embedder
from .errors import HippoError, IndexFormatError, InputError
from .extraction.base import Extractor
from .folder import IndexWriter, version_folder
from .progress import QUIET, Progress
from .results import RetrievalResult
from .retrieval import Retriever
from .store import IndexData, read_data, read_manifest_file
from .vectorstore.base import VectorStore
from .vectorstore.factory import open_vector_store


def _question_entity_function(config: PipelineConfig) -> Callable[[str], list[str]]:
    """Question-side entity extraction for ppr-entity, with the backend that built the index:
    the LLM when an LLM extracted the passages (answers cached), else spaCy. Built on first use."""
    if config.extractor.kind not in ("openai", "vllm"):
        from .extraction.spacy_extractor import SpacyExtractor

        return SpacyExtractor(model=config.extractor.spacy_model).question_entities
    loaded: list[Any] = []

    def llm_question_entities(question: str) -> list[str]:
        if not loaded:
            from .extraction.factory import make_extractor

            loaded.append(make_extractor(config.extractor, cache=KeyValueCache(default_cache_dir())))
        return loaded[0].question_entities(question)

    return llm_question_entities


@dataclass(frozen=True)
class WriteOptions:
    """How a write runs: where paid-for work is cached, progress, an explicit extractor."""

    cache_dir: str | Path | None = None
    progress: Progress = QUIET
    extractor: Extractor | None = None


class Index:
    """An opened index version: graph data in memory, vectors in the store, a retriever."""

    def __init__(self, path: Path, folder: Path, manifest: dict[str, Any], config: PipelineConfig, data: IndexData,
                 store: VectorStore, embedder: Embedder) -> None:
        self.path = path
        self.folder = folder
        self.manifest = manifest
        self.config = config
        self.data = data
        self.store = store
        self.embedder = embedder
        self.retriever = Retriever(data, store, embedder, config.retrieval, _question_entity_function(config))

    # -- writing -----------------------------------------------------------------------------
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
        """Extract, embed, link and commit a complete index at `path` (replacing one there)."""
        if not passages:
            raise InputError("the corpus holds no passages")
        _write(Path(path), config, None, list(passages), set(), WriteOptions(cache_dir, progress, extractor))
        return cls.open(path)

    def insert(self, passages: Iterable[Passage], **options: Any) -> ChangeSummary:
        """Add passages not yet in the index (by content id); only they are extracted and embedded."""
        return self.apply(add=list(passages), **options)

    def delete(self, passage_ids: Iterable[str], **options: Any) -> ChangeSummary:
        """Remove passages, and every fact, phrase, edge and vector only they supported."""
        return self.apply(remove=list(passage_ids), **options)

    def update(self, old_id: str, new: Passage, **options: Any) -> ChangeSummary:
        """Replace one passage by a new version of it, in one transaction."""
        return self.apply(add=[new], remove=[old_id], **options)

    def apply(self, add: Sequence[Passage] = (), remove: Sequence[str] = (), *, cache_dir: str | Path | None = None,
              progress: Progress = QUIET, extractor: Extractor | None = None) -> ChangeSummary:
        """One transaction: remove, then add. Afterwards this object shows the latest commit."""
        self.close()  # a store client of ours must not hold what the writer opens
        try:
            return _write(self.path, self.config, self, list(add), set(remove), WriteOptions(cache_dir, progress, extractor))
        finally:
            self._reload()

    def _reload(self) -> None:
        fresh = Index.open(self.path, retrieval=self.config.retrieval, qdrant_url=self.config.vectors.url)
        self.__dict__.update(fresh.__dict__)

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
        """Open the committed version. Refuses an unknown format or a different embedding model."""
        path = Path(path)
        folder = version_folder(path)
        manifest = read_manifest_file(folder)
        try:
            config = PipelineConfig.from_dict(manifest["config"], f"{folder}/manifest.json")
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
        data = read_data(folder, manifest["files"])
        store = open_vector_store(config.vectors, folder, int(manifest["embedder"]["dim"]), manifest.get("vectors", {}).get("prefix", ""))
        return cls(path, folder, manifest, config, data, store, model)

    # -- using -------------------------------------------------------------------------------
    def retrieve(self, question: str, k: int = 5, mode: str | None = None) -> RetrievalResult:
        """The k passages that best answer `question`, with the reasons they were chosen."""
        return self.retriever.retrieve(question, k, mode)

    def stats(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "version": self.folder.name,
            "format_version": self.manifest["format_version"],
            "embedder": self.manifest["embedder"]["fingerprint"],
            "extractor": self.manifest["extractor"]["fingerprint"],
            **self.manifest["counts"],
        }

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _write(path: Path, config: PipelineConfig, opened: Index | None, add: list[Passage], remove: set[str],
           options: WriteOptions) -> ChangeSummary:
    """Stage and commit one change (a full build when `opened` is None)."""
    started = time.monotonic()
    cache = KeyValueCache(options.cache_dir or default_cache_dir())
    try:
        with IndexWriter(path) as writer:
            previous = None
            manifest: dict[str, Any] = {}
            replaced_prefix = _server_prefix(path) if opened is None else None
            if opened is not None:
                # Change the latest committed version, not what this process opened earlier.
                current = version_folder(path)
                manifest = read_manifest_file(current)
                previous = (current, read_data(current, manifest["files"]))
            prefix = manifest.get("vectors", {}).get("prefix") or f"hl_{uuid.uuid4().hex[:12]}"
            summary = apply_change(writer.staging, config, previous, add, remove, cache, options.extractor, options.progress, prefix)
            if not summary.changed:
                return summary
            summary.manifest.update({"library_version": __version__, "build_seconds": round(time.monotonic() - started, 2)})
            summary.finish(writer.staging)
            writer.commit()
            summary.after_commit()
            if replaced_prefix:
                open_vector_store(config.vectors, path, 0, replaced_prefix).drop()  # type: ignore[attr-defined]
    finally:
        cache.close()
    return summary


def _server_prefix(path: Path) -> str | None:
    """The Qdrant server collections an index being rebuilt uses, to drop once replaced."""
    try:
        manifest = read_manifest_file(version_folder(path))
    except HippoError:
        return None
    vectors = manifest.get("vectors", {})
    return vectors.get("prefix") if vectors.get("kind") == "qdrant" else None


__all__ = ["Index", "ChangeSummary"]
