"""The library's front door: build an index from passages, change it, open it, retrieve.

    from hipporag_like import Index, read_corpus
    index = Index.build(read_corpus(["corpus.json"]).passages, "indexes/demo")
    for hit in index.retrieve("Where was the founder of X born?", k=5).passages:
        print(hit.score, hit.title)

Every write (build, insert, delete, update, compact) is one transaction over the versioned
folder (`folder.py`): it stages one new segment and a new version, and commits it atomically.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from ._version import __version__
from .cache import KeyValueCache, default_cache_dir
from .changes import ChangeSummary, WriteContext, plan_change, stage_change
from .compaction import compact_staged, needs_compaction
from .config import LLM_KINDS, EmbedderConfig, PipelineConfig, ReaderConfig, RetrievalConfig
from .corpus import Passage
from .embedding import Embedder, make_embedder
from .errors import HippoError, IndexFormatError, InputError
from .extraction.base import Extractor
from .folder import IndexWriter
from .gate import Gate
from . import arguments, readers
from .retirement import retire_unlisted
from .graph import IndexData, materialize
from .progress import QUIET, Progress
from .query_llm import make_query_llm
from .results import RetrievalResult
from .retrieval import Retriever
from .segments import VECTOR_KINDS
from .store import Version, check_unchanged, open_version
from .vectorstore.base import VectorStore
from .vectorstore.factory import open_vector_store


def _question_entity_function(config: PipelineConfig) -> Callable[[str], list[str]]:
    """Question-side entity extraction for ppr-entity, with the backend that built the index:
    the LLM when an LLM extracted the passages (answers cached), else spaCy. Built on first use."""
    if config.extractor.kind not in LLM_KINDS:
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
    lock_wait: float = 0.0  # seconds to wait for another process's writer (0: IndexBusyError at once)


class Index:
    """An opened index version: arrays memory-mapped, vectors in the store, a retriever."""

    def __init__(self, path: Path, version: Version, config: PipelineConfig, store: VectorStore, embedder: Embedder) -> None:
        self.path = path
        self.version = version
        self.folder = version.folder
        self.manifest = version.manifest
        self.config = config
        self.store = store
        self._sources: dict[str, list[str]] | None = None  # source -> passage ids, built on first use
        self.embedder = embedder
        self.query_llm = make_query_llm(config)  # None unless an LLM path is on; built on first question
        self.retriever = Retriever(version, store, embedder, config.retrieval, _question_entity_function(config), self.query_llm)
        self._titles: dict[str, list[str]] | None = None
        self._live_ids: set[bytes] | None = None
        self._gate = Gate()
        self._closed = False

    # -- writing -----------------------------------------------------------------------------
    @classmethod
    def build(cls, passages: Sequence[Passage], path: str | Path, config: PipelineConfig = PipelineConfig(), *,
              cache_dir: str | Path | None = None, progress: Progress = QUIET, extractor: Extractor | None = None) -> "Index":
        """Extract, embed, link and commit a complete index at `path` (replacing one there)."""
        passages = arguments.passages(passages)
        if not passages:
            raise InputError("the corpus holds no passages")
        _write(Path(path), config, passages, [], WriteOptions(cache_dir, progress, extractor), rebuild=True)
        return cls.open(path)

    def insert(self, passages: Iterable[Passage], **options: Any) -> ChangeSummary:
        """Add passages not yet in the index (by content id); only they are extracted and embedded."""
        return self._apply(arguments.passages(passages), [], **options)

    def delete(self, passage_ids: Iterable[str] | str, **options: Any) -> ChangeSummary:
        """Remove passages (one id, or a list), and every fact, phrase and edge only they supported."""
        return self._apply([], arguments.passage_ids(passage_ids), **options)

    def update(self, old_id: str, new: Passage, **options: Any) -> ChangeSummary:
        """Replace one passage by a new version of it, in one transaction."""
        return self.apply(add=[new], remove=[old_id], **options)

    def apply(self, add: Sequence[Passage] = (), remove: Sequence[str] = (), *, cache_dir: str | Path | None = None,
              progress: Progress = QUIET, extractor: Extractor | None = None, compact: bool = False,
              lock_wait: float = 0.0) -> ChangeSummary:
        """One transaction: remove, then add. Afterwards this object shows the latest commit.
        `lock_wait`: seconds to wait while another process writes (0: IndexBusyError at once).
        Queries through this object from other threads wait for it (gate.py)."""
        return self._apply(arguments.passages(add, "add"), arguments.passage_ids(remove, "remove"), cache_dir=cache_dir,
                           progress=progress, extractor=extractor, compact=compact, lock_wait=lock_wait)

    def _apply(self, add: list[Passage], remove: list[str], *, cache_dir: str | Path | None = None, progress: Progress = QUIET,
               extractor: Extractor | None = None, compact: bool = False, lock_wait: float = 0.0) -> ChangeSummary:
        """`apply` on arguments already checked."""
        with self._gate.writing():
            self._check_open()
            self.close()  # a store client of ours must not hold what the writer opens
            try:
                return _write(self.path, self.config, add, remove, WriteOptions(cache_dir, progress, extractor, lock_wait),
                              compact=compact, opened=self.version)
            finally:
                self._reload()

    def sync(self, paths: Sequence[str | Path], *, skip_bad: bool = False, **options: Any) -> ChangeSummary:
        """Bring the documents under `paths` (files or folders) up to date in one transaction:
        every chunk of a document whose file changed is replaced, those of files that are gone
        are removed, unchanged documents cost nothing (their chunk ids match). Read with this
        index's [chunking]; documents are matched by the `source` stored with their passages."""
        from .policies import plan_sync, read_sources

        paths = arguments.paths(paths)
        passages = read_sources(paths, self.config.chunking, skip_bad).passages
        add, remove = plan_sync(self, passages, paths)
        return self._apply(add, remove, **options)  # read and planned here: nothing to check again

    def compact(self, **options: Any) -> ChangeSummary:
        """Fold every segment into one, dropping deleted rows (also done by writes past a ratio)."""
        return self.apply(compact=True, **options)

    def _reload(self) -> None:
        fresh = Index.open(self.path, retrieval=self.config.retrieval, qdrant_url=self.config.vectors.url, reader=self.config.reader)
        gate = self._gate  # threads may be waiting on this one
        self.__dict__.update(fresh.__dict__)
        self._gate = gate

    def _check_open(self) -> None:
        if self._closed:
            raise HippoError(f"{self.path}: this Index was closed; open it again")

    # -- opening -----------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path, *, retrieval: RetrievalConfig | None = None, embedder: EmbedderConfig | None = None,
             qdrant_url: str | None = None, reader: ReaderConfig | None = None) -> "Index":
        """Open and verify the committed version. Refuses an unknown format, damaged files or a
        different embedding model. Writes nothing inside the index folder. `retrieval` and
        `reader` replace the pipeline's tables (the reader also answers the LLM query paths)."""
        path = Path(path)
        version = open_version(path)
        try:
            config = PipelineConfig.from_dict(version.manifest["config"], f"{version.folder}/manifest.json")
        except InputError as exc:
            raise IndexFormatError(str(exc)) from None
        if embedder is not None and embedder != config.embedder:
            raise IndexFormatError(
                f"{path}: index was built with embedder '{config.embedder.model}', not '{embedder.model}'; rebuild it to change models"
            )
        built_with = version.manifest["embedder"].get("fingerprint")
        model = make_embedder(config.embedder.kind, config.embedder.model, config.embedder.base_url, config.embedder.api_key_env)
        if model.fingerprint != built_with:
            raise IndexFormatError(f"{path}: index was built with embedder '{built_with}', this set-up has '{model.fingerprint}'")
        if retrieval is not None:
            if not isinstance(retrieval, RetrievalConfig):
                raise InputError(f"retrieval must be a RetrievalConfig, got {type(retrieval).__name__}")
            config = replace(config, retrieval=retrieval)
        if reader is not None:
            if not isinstance(reader, ReaderConfig):
                raise InputError(f"reader must be a ReaderConfig, got {type(reader).__name__}")
            config = replace(config, reader=reader)
        if qdrant_url:
            config = config.with_overrides("vectors", url=qdrant_url)
        config.check("Index.open")  # as a pipeline file's values are
        store = open_vector_store(config.vectors, version.segments, version.manifest["vectors"].get("prefix", ""))
        return cls(path, version, config, store, model)

    # -- using -------------------------------------------------------------------------------
    def retrieve(self, question: str, k: int = 5, mode: str | None = None) -> RetrievalResult:
        """The k passages that best answer `question`, with the reasons they were chosen."""
        with self._gate.reading():
            self._check_open()
            return self.retriever.retrieve(question, k, mode)

    def answer(self, question: str, k: int = 5, mode: str | None = None, *, steps: int = 0, llm: Any = None,
               reader: Any = None, cache_dir: str | Path | None = None) -> Any:
        """Retrieve, then answer from the numbered passages with checked citations (see `reader`):
        `reader` (a ReaderConfig; default the pipeline's [reader]) or `llm` (a ChatBackend)."""
        from .reader import answer_with_config

        arguments.question_text(question)
        arguments.count(k, "k")
        arguments.count(steps, "steps", least=0)
        if reader is not None and not isinstance(reader, ReaderConfig):
            raise InputError(f"reader must be a ReaderConfig, got {type(reader).__name__}")
        with self._gate.reading():
            self._check_open()
            return answer_with_config(self, question, k=k, mode=mode, steps=steps, reader=reader or self.config.reader, llm=llm,
                                      cache_dir=cache_dir)

    def has_passage(self, passage_id: str) -> bool:
        """Whether a passage with this content id is in the opened version."""
        if self._live_ids is None:  # one pass over the segments' id arrays, on first use
            ids = self.version.passage_ids()
            self._live_ids = set(ids[np.asarray(self.version.tables.passage_live)].tolist())
        return passage_id.encode("ascii", "replace") in self._live_ids

    def passage_ids_by_title(self, title: str) -> list[str]:
        """Ids of the indexed passages with exactly this title, in index order."""
        if self._titles is None:  # one pass over the passage lines, on first use
            self._titles = {}
            for r in np.flatnonzero(self.version.tables.passage_live):
                row = self.version.line("passages", int(r))
                self._titles.setdefault(row["title"], []).append(row["id"])
        return list(self._titles.get(title, []))

    def passage_ids_by_source(self, source: str) -> list[str]:
        """Ids of the indexed passages whose provenance names this source (an absolute path,
        as the readers store it), in index order; passages without provenance have none."""
        return list(self._source_map().get(source, []))

    def indexed_sources(self) -> list[str]:
        """Every source named by an indexed passage's provenance, sorted."""
        return sorted(self._source_map())

    def _source_map(self) -> dict[str, list[str]]:
        if self._sources is None:  # one pass over the passage lines, on first use
            self._sources = {}
            for r in np.flatnonzero(self.version.tables.passage_live):
                row = self.version.line("passages", int(r))
                if row.get("source"):
                    self._sources.setdefault(row["source"], []).append(row["id"])
        return self._sources

    def stats(self) -> dict[str, Any]:
        self._check_open()
        return {
            "path": str(self.path),
            "version": self.folder.name,
            "format_version": self.manifest["format_version"],
            "embedder": self.manifest["embedder"]["fingerprint"],
            "extractor": self.manifest["extractor"]["fingerprint"],
            **self.manifest["counts"],
        }

    def verify(self) -> dict[str, Any]:
        """Beyond what opening checked (every byte, shapes, ranges): the vector store holds every
        point of every segment. Raises IndexFormatError naming the part at fault."""
        self._check_open()
        for kind in VECTOR_KINDS:
            expected = int(self.version.offsets[kind][-1])
            held = self.store.count(kind)
            if held != expected:
                raise IndexFormatError(f"{self.path}: the vector store holds {held} {kind} vectors, the segments {expected}")
        files = len(self.manifest["files"]) + sum(len(s.files) for s in self.version.segments)
        return {"index": str(self.path), "version": self.folder.name, "ok": True, "files_checked": files,
                "segments": len(self.version.segments), "vectors": {k: int(self.version.offsets[k][-1]) for k in VECTOR_KINDS}}

    @property
    def data(self) -> IndexData:
        """The live graph as Python objects (export, interchange, tests): O(index) to build."""
        return materialize(self.version, self.config.graph.title_edge_weight)

    def close(self) -> None:
        self._closed = True
        self.store.close()
        self.version.close()
        if self.query_llm is not None:
            self.query_llm.close()

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _write(path: Path, config: PipelineConfig, add: list[Passage], remove: list[str], options: WriteOptions, *,
           rebuild: bool = False, compact: bool = False, opened: Version | None = None) -> ChangeSummary:
    """Stage and commit one change (a full build when `rebuild`), then retire what no kept
    version needs. Cleanup after the commit never fails the write. `opened`: the caller's open
    version, used as the base when it is still the committed one."""
    started = time.monotonic()
    config.check()
    cache = KeyValueCache(options.cache_dir or default_cache_dir())
    base: Version | None = None
    store: VectorStore | None = None
    try:
        with IndexWriter(path, options.lock_wait) as writer:
            base = None if rebuild or writer.base is None else _base_version(writer, opened)
            prefix = base.manifest["vectors"].get("prefix") if base is not None else None
            prefix = prefix or f"hl_{uuid.uuid4().hex[:12]}"
            if base is not None:
                plan = plan_change(base.passage_ids(), np.asarray(base.tables.passage_live), add, remove)
            else:
                plan = plan_change(np.zeros(0, "S16"), np.zeros(0, bool), add, remove)
            if base is not None and plan.empty and not compact:
                return ChangeSummary(already_present=plan.already_present, counts=base.manifest["counts"], manifest=base.manifest)
            store = open_vector_store(config.vectors, base.segments if base is not None else [], prefix)
            ctx = WriteContext(writer, config, cache, options.progress, store, base, prefix, options.extractor)
            summary = stage_change(ctx, plan)
            if compact or needs_compaction(summary.counts):
                staged = open_version(writer.index_dir, folder=writer.staging, segment_roots=(writer.segments_dir,))
                try:
                    compact_staged(ctx, staged, summary)
                finally:
                    staged.close()
                store = ctx.store
            summary.manifest.update({"library_version": __version__, "build_seconds": round(time.monotonic() - started, 2)})
            from .store import write_manifest

            write_manifest(writer.staging, summary.manifest)
            readers.create(writer.staging)
            store.close()
            store = None
            if base is not None:
                base.close()
                base = None
            writer.commit()
            retire_unlisted(writer, config)
    finally:
        if store is not None:
            store.close()
        if base is not None:
            base.close()
        cache.close()
    return summary


def _base_version(writer: IndexWriter, opened: Version | None) -> Version:
    """The committed version a write starts from: the caller's, when CURRENT names it and none
    of its files changed since it was opened (re-opening re-reads every array header and range:
    16 ms at 20,000 passages), else opened and verified afresh."""
    if opened is not None and opened.folder.name == writer.base and opened.folder.parent.resolve() == writer.index_dir.resolve():
        check_unchanged(opened)
        return opened
    return open_version(writer.index_dir)


__all__ = ["Index", "ChangeSummary"]
