"""One change to an index, staged into a version folder: the shared path of build, insert,
delete and update.

The new version is derived from the previous one's extractions plus the added passages',
minus the removed passages': phrases, facts and edges are recomputed from that (cheap, pure),
so the result equals a full rebuild of the same passages. Only what is new is extracted and
embedded; only phrases new to the index get synonymy look-ups (new x new exactly, new x old
through the vector index); vectors of facts and phrases no passage supports any more are
deleted. Nothing is committed here: `folder.IndexWriter` publishes the staged folder.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .cache import KeyValueCache
from .config import PipelineConfig
from .corpus import Passage
from .embedding import CachedEmbedder, make_embedder
from .errors import InputError
from .extraction.base import CachedExtractor, Extraction, Extractor
from .extraction.factory import make_extractor
from .folder import failpoint
from .graph import SYNONYMY, Edges, Facts, Phrases, build_edges, collect, synonym_pairs
from .progress import Progress
from .retrieval import fact_point_id, passage_point_id, phrase_point_id
from .store import FORMAT, FORMAT_VERSION, IndexData, write_data, write_manifest
from .text import content_hash, fact_text
from .vectorstore.base import VectorStore
from .vectorstore.edge import EdgeVectorStore
from .vectorstore.factory import VECTORS_DIR, open_vector_store


@dataclass
class ChangeSummary:
    """What a write did. `manifest` is what gets committed."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    already_present: int = 0
    failed: list[Extraction] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)
    changed: bool = False
    _store: VectorStore | None = field(default=None, repr=False)
    _deferred_deletes: dict[str, list[int]] = field(default_factory=dict, repr=False)

    def finish(self, staging: Path) -> None:
        """Close the staged store and write the manifest last: a version without one is incomplete."""
        if self._store is not None:
            if isinstance(self._store, EdgeVectorStore):
                self._store.flush()
            self._store.close()
        failpoint("before-manifest")
        write_manifest(staging, self.manifest)

    def after_commit(self) -> None:
        """A server's collections are shared by all versions: drop points only once nothing
        committed refers to them (readers ignore points they do not know)."""
        if self._deferred_deletes:
            store = open_vector_store_for(self.manifest)
            for collection, ids in self._deferred_deletes.items():
                store.delete(collection, ids)
            store.close()


def open_vector_store_for(manifest: dict[str, Any]) -> VectorStore:
    config = PipelineConfig.from_dict(manifest["config"])
    return open_vector_store(config.vectors, Path("."), int(manifest["embedder"]["dim"]), manifest["vectors"]["prefix"])


def _empty() -> IndexData:
    return IndexData([], [], Phrases([], []), Facts([], []), Edges.empty())


def apply_change(
    staging: Path,
    config: PipelineConfig,
    previous: tuple[Path, IndexData] | None,
    add: list[Passage],
    remove: set[str],
    cache: KeyValueCache,
    extractor: Extractor | None,
    progress: Progress,
    prefix: str,
) -> ChangeSummary:
    old = previous[1] if previous else _empty()
    existing = {p.id for p in old.passages}
    unknown = sorted(remove - existing)
    if unknown:
        raise InputError(f"no passage with id {unknown[0]} in the index")
    adding: dict[str, Passage] = {}
    for passage in add:
        if passage.id not in existing or passage.id in remove:
            adding.setdefault(passage.id, passage)
    summary = ChangeSummary(added=list(adding), removed=sorted(remove), already_present=len(add) - len(adding))
    if previous is not None and not adding and not remove:
        return summary
    summary.changed = True

    cached = CachedExtractor(extractor or make_extractor(config.extractor, cache=cache), cache)
    fresh = {e.passage_id: e for e in cached.extract(list(adding.values()), progress)}
    summary.failed = cached.failed
    failpoint("after-extract")

    passages = [p for p in old.passages if p.id not in remove] + list(adding.values())
    by_id = {e.passage_id: e for e in old.extractions} | fresh
    extractions = [by_id[p.id] for p in passages]
    phrases, facts, relations = collect(extractions, config.graph, [p.title for p in passages])

    old_phrases, old_facts = set(old.phrases.keys), set(old.facts.triples)
    new_phrases = [k for k in phrases.keys if k not in old_phrases]
    new_facts = [t for t in facts.triples if t not in old_facts]
    kept_phrases, kept_facts = set(phrases.keys), set(facts.triples)

    embedder = CachedEmbedder(make_embedder(config.embedder.kind, config.embedder.model, config.embedder.base_url, config.embedder.api_key_env), cache)
    passage_vectors = embedder.embed([p.content for p in adding.values()], progress, "embedding passages")
    phrase_vectors = embedder.embed(new_phrases, progress, "embedding phrases")
    fact_vectors = embedder.embed([fact_text(*t) for t in new_facts], progress, "embedding facts")

    if previous is not None and config.vectors.kind == "edge":
        shutil.copytree(previous[0] / VECTORS_DIR, staging / VECTORS_DIR)
    store = open_vector_store(config.vectors, staging, embedder.dim, prefix)
    summary._store = store
    store.upsert("passages", [passage_point_id(p) for p in adding], passage_vectors)
    store.upsert("phrases", [phrase_point_id(k) for k in new_phrases], phrase_vectors)
    store.upsert("facts", [fact_point_id(t) for t in new_facts], fact_vectors)
    gone = {
        "passages": [passage_point_id(p) for p in remove],
        "phrases": [phrase_point_id(k) for k in old_phrases - kept_phrases],
        "facts": [fact_point_id(t) for t in old_facts - kept_facts],
    }
    if config.vectors.kind == "edge":
        for collection, ids in gone.items():
            store.delete(collection, ids)
    else:
        summary._deferred_deletes = {c: ids for c, ids in gone.items() if ids}
    failpoint("after-vectors")

    synonyms = _synonyms(old, phrases, new_phrases, phrase_vectors, store, config.graph.synonymy_threshold)
    edges = build_edges(len(passages), phrases, relations, synonyms, config.graph.title_edge_weight)
    data = IndexData(passages, extractions, phrases, facts, edges)
    hashes = write_data(staging, data)
    summary.manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "config": config.to_dict(),
        "embedder": {"fingerprint": embedder.fingerprint, "dim": embedder.dim},
        "extractor": {"fingerprint": cached.fingerprint, "cache_hits": cached.hits, "failed": [e.passage_id for e in cached.failed]},
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
    return summary


def _synonyms(
    old: IndexData, phrases: Phrases, new_phrases: list[str], new_vectors: np.ndarray, store: VectorStore, threshold: float
) -> dict[tuple[int, int], float]:
    """Old pairs whose phrases both survive, new x new exactly, new x old via the vector index."""
    index = {key: i for i, key in enumerate(phrases.keys)}
    pairs: dict[tuple[int, int], float] = {}

    def add(a: str, b: str, score: float) -> None:
        i, j = index[a], index[b]
        pairs[(min(i, j), max(i, j))] = score

    n_old = len(old.passages)
    for s, d, w, kind in zip(old.edges.src, old.edges.dst, old.edges.weight, old.edges.kind):
        if kind == SYNONYMY:
            a, b = old.phrases.keys[int(s) - n_old], old.phrases.keys[int(d) - n_old]
            if a in index and b in index:
                add(a, b, float(w))
    for (i, j), score in synonym_pairs(new_vectors, threshold).items():
        add(new_phrases[i], new_phrases[j], score)
    old_keys = {phrase_point_id(k): k for k in old.phrases.keys if k in index}
    if old_keys:
        for key, vector in zip(new_phrases, new_vectors):
            for point, score in _all_above(store, vector, threshold, len(phrases.keys)):
                other = old_keys.get(point)
                if other is not None:
                    add(key, other, score)
    return pairs


def _all_above(store: VectorStore, vector: np.ndarray, threshold: float, most: int) -> list[tuple[int, float]]:
    """Every phrase at or above the threshold: a small limit first, doubled while it is filled
    (most phrases have few neighbours, and a limit the size of the index is slow to serve)."""
    limit = 64
    while True:
        hits = store.search("phrases", vector, limit, score_threshold=threshold)
        if len(hits) < limit or limit >= most:
            return hits
        limit *= 2


def corpus_hash(passages: list[Passage]) -> str:
    """Identifies a corpus by its passage ids in order: lets callers reuse a matching index."""
    return content_hash("\n".join(p.id for p in passages).encode("utf-8"))
