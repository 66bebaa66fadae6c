"""One change to an index (build, insert, delete, update): a pure plan, then the steps.

`plan_change` decides what is new and what goes, from ids alone. `stage_change` carries it out
inside a writer's staging area: it extracts and embeds only the added passages (and only the
phrases and facts the index has never held), writes them as one new immutable segment, extends
the version's arrays by linear numpy passes, finds synonyms only for phrases that came alive,
and writes the new version's arrays and manifest. Nothing here commits: `folder.IndexWriter`
publishes the staged version. The cost of a write follows what it adds, not the index size,
apart from the array passes; `compaction.py` folds segments together when they pile up.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .cache import KeyValueCache
from .config import PipelineConfig
from .corpus import Passage, is_passage_id
from .derive_append import derive_appended
from .embedding import CachedEmbedder, make_embedder
from .errors import InputError
from .extraction.base import CachedExtractor, Extraction, Extractor
from .extraction.factory import make_extractor
from .folder import IndexWriter, failpoint
from .lexical import term_counts
from .progress import Progress
from .segments import Segment, SegmentContent, write_segment
from .store import FORMAT, FORMAT_VERSION, Version, write_arrays, write_manifest
from .synonymy import EXACT_BELOW, PhraseIVF, approximate_pairs, build_ivf, cross_pairs, in_list_order, ivf_cross_pairs, synonym_pairs
from .tables import BatchRows, Derived, Merge, Tables, add_synonyms, batch_rows, derive, merge
from .text import content_hash, fact_text, stable_id
from .timing import StageClock
from .vectorstore.base import VectorStore


def phrase_point_id(phrase: str) -> int:
    return stable_id("phrase", phrase)


def fact_point_id(triple: tuple[str, str, str]) -> int:
    return stable_id("fact", *triple)


def corpus_hash(passage_ids: Sequence[str]) -> str:
    """Identifies a corpus by its passage ids in order: lets callers reuse a matching index."""
    return content_hash("\n".join(passage_ids).encode("utf-8"))


@dataclass
class ChangeSummary:
    """What a write did, for the caller: ids added and removed, failures, the new counts."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    already_present: int = 0
    failed: list[Extraction] = field(default_factory=list)
    changed: bool = False
    compacted: bool = False
    counts: dict[str, Any] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChangePlan:
    """Pure: which passages to add (new to the live index) and which rows to remove."""

    adding: list[Passage]
    removed_ids: list[str]
    removed_rows: np.ndarray
    already_present: int

    @property
    def empty(self) -> bool:
        return not self.adding and not len(self.removed_rows)


def plan_change(row_ids: np.ndarray, live: np.ndarray, add: Sequence[Passage], remove: Sequence[str]) -> ChangePlan:
    """`row_ids` are the 16-byte content ids of every row, `live` marks the rows in the index."""
    live_rows = np.flatnonzero(live)
    live_ids = row_ids[live_rows]
    for passage_id in remove:  # "S16" below would cut a longer id down to a real one
        if not is_passage_id(passage_id):
            raise InputError(f"no passage with id {passage_id!r} in the index (ids are 16 hex digits)")
    wanted = np.array(list(dict.fromkeys(remove)), dtype="S16")
    order = np.argsort(live_ids)
    at = np.searchsorted(live_ids[order], wanted) if len(live_ids) else np.zeros(len(wanted), np.int64)
    at = np.minimum(at, max(len(live_ids) - 1, 0))
    found = (live_ids[order][at] == wanted) if len(live_ids) else np.zeros(len(wanted), bool)
    if not found.all():
        raise InputError(f"no passage with id {wanted[~found][0].decode('ascii')!r} in the index")
    removed_rows = live_rows[order][at] if len(wanted) else np.zeros(0, np.int64)
    removing = set(wanted.tolist())
    present = set(live_ids.tolist()) - removing
    adding: dict[str, Passage] = {}
    for passage in add:
        if passage.id.encode("ascii") not in present:
            adding.setdefault(passage.id, passage)
    return ChangePlan(list(adding.values()), [w.decode("ascii") for w in wanted], removed_rows.astype(np.int64), len(add) - len(adding))


@dataclass
class WriteContext:
    """What the steps of one write share: settings, caches, the store and the staging area."""

    writer: IndexWriter
    config: PipelineConfig
    cache: KeyValueCache
    progress: Progress
    store: VectorStore
    base: Version | None
    prefix: str
    extractor: Extractor | None = None
    embedder: Any = None  # the configured embedder, made once per write
    clock: StageClock = field(default_factory=StageClock)

    def make_embedder(self) -> Any:
        if self.embedder is None:
            config = self.config.embedder
            self.embedder = make_embedder(config.kind, config.model, config.base_url, config.api_key_env)
        return self.embedder


def stage_change(ctx: WriteContext, plan: ChangePlan) -> ChangeSummary:
    """Extract, embed, write the segment and the new version's arrays and manifest (staged)."""
    summary = ChangeSummary(added=[p.id for p in plan.adding], removed=plan.removed_ids, already_present=plan.already_present, changed=True)
    # A pure delete extracts nothing: it keeps the base's extractor and never loads one (an
    # OpenIE file of 20,000 passages took 0.4 s to read, a spaCy model longer).
    keeps_extractor = not plan.adding and ctx.base is not None
    cached = None if keeps_extractor else CachedExtractor(ctx.extractor or make_extractor(ctx.config.extractor, cache=ctx.cache), ctx.cache)
    embedder = CachedEmbedder(ctx.make_embedder(), ctx.cache)
    # Passages need no extraction to be embedded: encode them while the extractor works (an LLM
    # waits on the network, spaCy leaves a core idle). Both results land in the cache as they come.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="embed-passages") as pool:
        passage_vectors = pool.submit(_embed_kind, ctx, embedder, "passages", [p.content for p in plan.adding])
        extractions, batch, merged = _extract_and_merge(ctx, plan, cached, summary)
        vectors = {"passages": passage_vectors.result()}
    base_tables = ctx.base.tables if ctx.base is not None else Tables.empty()
    new_keys = [batch.phrase_keys[i] for i in merged.new_phrases]
    new_facts = [batch.fact_triples[i] for i in merged.new_facts]
    vectors["phrases"] = _embed_kind(ctx, embedder, "phrases", new_keys)
    vectors["facts"] = _embed_kind(ctx, embedder, "facts", [fact_text(*t) for t in new_facts])
    _one_width(vectors, ctx)
    with ctx.clock.stage("synonymy"):
        phrase_ivf = phrase_lists(vectors["phrases"])
        if phrase_ivf is not None:  # a large segment stores its phrases list by list
            order, phrase_ivf = in_list_order(phrase_ivf)
            merged = merged.with_phrase_order(order)
            new_keys, vectors["phrases"] = [new_keys[i] for i in order.tolist()], vectors["phrases"][order]
    with ctx.clock.stage("write segment"):
        entry = write_segment(ctx.writer.segments_dir, SegmentContent(
            passages=[{"id": p.id, "title": p.title, "text": p.text, **p.provenance()} for p in plan.adding],  # provenance only when set
            extractions=[json.loads(e.to_json()) for e in extractions],
            phrases=new_keys,
            facts=new_facts,
            vectors=vectors,  # type: ignore[arg-type]  # every kind is an array after _one_width
            terms=_terms(plan.adding),
            phrase_ivf=phrase_ivf,
        ))
    segment = Segment(ctx.writer.segments_dir / entry["name"], entry)
    with ctx.clock.stage("vector store"):
        ctx.store.add_segment(segment)
    failpoint("after-vectors")
    with ctx.clock.stage("synonymy"):
        tables = _with_synonyms(ctx, merged.tables, merged.woken_phrases, base_tables.n_phrases, vectors["phrases"], phrase_ivf)
    entries = (ctx.base.manifest["segments"] if ctx.base is not None else []) + [entry]
    dropped = _dropped_triples(ctx.base, plan.removed_rows) + sum(e.dropped_triples for e in extractions)
    fingerprint = cached.fingerprint if cached is not None else str(ctx.base.manifest["extractor"]["fingerprint"]) if ctx.base else ""
    finish_version(ctx, tables, entries, dropped, fingerprint, [e.passage_id for e in summary.failed], cached.hits if cached else 0, summary,
                   appended_only=not len(plan.removed_rows))
    return summary


def _extract_and_merge(ctx: WriteContext, plan: ChangePlan, cached: CachedExtractor | None,
                       summary: ChangeSummary) -> tuple[list[Extraction], BatchRows, Merge]:
    """Extract the added passages (none for a pure delete) and merge their rows into the base tables."""
    with ctx.clock.stage("extract"):
        extractions = cached.extract(plan.adding, ctx.progress) if cached is not None else []
    summary.failed = cached.failed if cached is not None else []
    failpoint("after-extract")
    base_tables = ctx.base.tables if ctx.base is not None else Tables.empty()
    batch = batch_rows(extractions, [p.title for p in plan.adding], ctx.config.graph)
    merged = merge(
        base_tables, batch, len(plan.adding),
        np.array([phrase_point_id(k) for k in batch.phrase_keys], dtype=np.int64),
        np.array([fact_point_id(t) for t in batch.fact_triples], dtype=np.int64),
        plan.removed_rows,
    )
    return extractions, batch, merged


def _embed_kind(ctx: WriteContext, embedder: CachedEmbedder, kind: str, texts: list[str]) -> np.ndarray | None:
    """Vectors for one kind of text, or None when there is none (its width is settled later)."""
    if not texts:
        return None
    with ctx.clock.stage(f"embed {kind}"):
        return embedder.embed(texts, ctx.progress, f"embedding {kind}")


def _one_width(vectors: dict[str, np.ndarray | None], ctx: WriteContext) -> None:
    """Give empty kinds a (0, dim) array of the width the others (or the index, or the model) have."""
    widths = [v.shape[1] for v in vectors.values() if v is not None]
    dim = widths[0] if widths else int(ctx.base.manifest["embedder"]["dim"]) if ctx.base is not None else ctx.make_embedder().dim
    for kind, found in vectors.items():
        if found is None:
            vectors[kind] = np.zeros((0, dim), np.float32)


def _terms(passages: list[Passage]) -> dict[str, np.ndarray]:
    counts = term_counts([p.content for p in passages])
    return {"indptr": counts.indptr, "terms": counts.terms, "counts": counts.counts, "lengths": counts.lengths}


def phrase_lists(vectors: np.ndarray) -> PhraseIVF | None:
    """The inverted file a segment keeps for its phrase vectors, when it holds enough of them
    that later inserts would otherwise compare every new phrase with every one of them."""
    return build_ivf(vectors) if len(vectors) >= IVF_MIN_PHRASES else None


def _with_synonyms(ctx: WriteContext, tables: Tables, woken: np.ndarray, first_new: int, new_vectors: np.ndarray,
                   new_ivf: PhraseIVF | None = None) -> Tables:
    """Synonym pairs for the phrases that came alive: among themselves (exact, or approximate
    when very many, reusing the new segment's centroids), and against the phrases alive before.
    The latter compares them with each old segment's memory-mapped phrase vectors: through the
    segment's inverted file when it has one (a large segment: the probed lists only), else
    exactly in BLAS tiles, in place (no gathered copy of the old vectors; pairs with rows dead or
    just woken are dropped afterwards). Both are far cheaper than one vector-index query per new
    phrase. When both sides are huge and the old side has no inverted file (an index written
    before segments kept one), it falls back to the approximate search over their union."""
    if not len(woken):
        return tables
    threshold = ctx.config.graph.synonymy_threshold
    vectors = _woken_vectors(ctx, woken, first_new, new_vectors)
    older = tables.phrase_live()[:first_new].copy()
    older[woken[woken < first_new]] = False
    inner = synonym_pairs(vectors, threshold, centroids=new_ivf.centroids if new_ivf is not None else None)
    a, b, score = [woken[inner.a]], [woken[inner.b]], [inner.score]
    n_old = int(older.sum())
    blocks = _old_phrase_blocks(ctx) if n_old else []
    unlisted = sum(len(block) for _, block, ivf in blocks if ivf is None)
    if n_old and len(woken) * unlisted <= CROSS_EXACT_LIMIT:
        for start, block, ivf in blocks:
            pairs = cross_pairs(vectors, block, threshold) if ivf is None else ivf_cross_pairs(vectors, block, ivf, threshold)
            rows = pairs.b + start
            keep = older[rows]
            a.append(woken[pairs.a[keep]]), b.append(rows[keep]), score.append(pairs.score[keep])
    elif n_old:
        old_rows = np.flatnonzero(older)
        union = approximate_pairs(np.concatenate([vectors, _gather_old(ctx, old_rows)]), threshold)
        crossing = (union.a < len(woken)) & (union.b >= len(woken))
        a.append(woken[union.a[crossing]]), b.append(old_rows[union.b[crossing] - len(woken)]), score.append(union.score[crossing])
    return add_synonyms(tables, np.concatenate(a), np.concatenate(b), np.concatenate(score))


CROSS_EXACT_LIMIT = 5_000_000_000  # new x old comparisons done exactly (about a second of BLAS per 1e10)
IVF_MIN_PHRASES = EXACT_BELOW  # a segment with this many phrases keeps their inverted file


def _woken_vectors(ctx: WriteContext, woken: np.ndarray, first_new: int, new_vectors: np.ndarray) -> np.ndarray:
    """Vectors of the woken rows, in their order: new rows from this write, revived ones from
    the base version's segments."""
    out = np.zeros((len(woken), new_vectors.shape[1]), dtype=np.float32)
    fresh = woken >= first_new
    out[fresh] = new_vectors[woken[fresh] - first_new]
    if not fresh.all():
        for start, block, _ in _old_phrase_blocks(ctx):
            mine = np.flatnonzero(~fresh & (woken >= start) & (woken < start + len(block)))
            out[mine] = np.asarray(block[woken[mine] - start], dtype=np.float32)
    return out


def _gather_old(ctx: WriteContext, rows: np.ndarray) -> np.ndarray:
    """The base version's phrase vectors for the given (sorted) rows, segment by segment."""
    parts = [np.asarray(block[rows[(rows >= start) & (rows < start + len(block))] - start], dtype=np.float32)
             for start, block, _ in _old_phrase_blocks(ctx)]
    return np.concatenate(parts)


def _old_phrase_blocks(ctx: WriteContext) -> list[tuple[int, np.ndarray, PhraseIVF | None]]:
    """(first global row, memory-mapped phrase vectors, their inverted file if kept) of each
    segment of the base version."""
    assert ctx.base is not None  # an old row exists only in an old version
    offsets = ctx.base.offsets["phrases"]
    return [(int(offsets[i]), segment.vectors("phrases"), segment.phrase_ivf())
            for i, segment in enumerate(ctx.base.segments) if segment.counts["phrases"]]


def _dropped_triples(base: Version | None, removed_rows: np.ndarray) -> int:
    if base is None:
        return 0
    before = int(base.manifest["counts"].get("dropped_triples", 0))
    return before - sum(int(base.line("extractions", int(r)).get("dropped_triples", 0)) for r in removed_rows)


def finish_version(ctx: WriteContext, tables: Tables, entries: list[dict[str, Any]], dropped: int, extractor: str,
                   failed: list[str], cache_hits: int, summary: ChangeSummary, appended_only: bool = False) -> None:
    """Write the staged version's arrays, then its manifest last (a version without one is incomplete).
    `appended_only`: the tables are the base's plus appended passages (no row removed or renumbered)."""
    with ctx.clock.stage("graph arrays"):
        derived, edge_counts = _derive(ctx, tables, appended_only)
        files = write_arrays(ctx.writer.staging, tables, derived)
    live_ids = _live_ids(ctx.writer, entries, tables.passage_live)
    counts = {
        "passages": int(tables.passage_live.sum()),
        "phrases": int(tables.phrase_live().sum()),
        "facts": int(tables.fact_live().sum()),
        "dropped_triples": dropped,
        "edges": edge_counts,
        "segments": len(entries),
        "rows": {"passages": tables.n_passages, "phrases": tables.n_phrases, "facts": len(tables.fact_point)},
    }
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "config": ctx.config.to_dict(),
        "embedder": {"fingerprint": ctx.make_embedder().fingerprint, "dim": _dim(ctx, entries)},
        "extractor": {"fingerprint": extractor, "cache_hits": cache_hits, "failed": failed},
        "vectors": {"kind": ctx.config.vectors.kind, "prefix": ctx.prefix},
        "corpus_hash": corpus_hash(live_ids),
        "counts": counts,
        "segments": entries,
        "files": files,
        "timings": dict(ctx.clock.seconds),
    }
    failpoint("before-manifest")
    write_manifest(ctx.writer.staging, manifest)
    summary.counts = counts
    summary.manifest = manifest


def _derive(ctx: WriteContext, tables: Tables, appended_only: bool) -> tuple[Derived, dict[str, int]]:
    """The version's graph and fact index: from the base's when this write only appended
    passages under the same graph settings (derive_append.py), else from scratch."""
    weight = ctx.config.graph.title_edge_weight
    base = ctx.base
    if appended_only and base is not None and base.manifest["config"].get("graph") == ctx.config.to_dict().get("graph"):
        edges = base.manifest.get("counts", {}).get("edges")
        if isinstance(edges, dict) and {"relation", "synonymy"} <= set(edges):
            appended = derive_appended(base.tables, base.derived, edges, tables, weight)
            if appended is not None:
                return appended
    return derive(tables, weight)


def _dim(ctx: WriteContext, entries: list[dict[str, Any]]) -> int:
    """The vectors' width, read from the segments (no model call); the model's when all are empty."""
    for entry in reversed(entries):
        vectors = np.load(segment_folder(ctx.writer, entry["name"]) / "vectors.passages.npy", mmap_mode="r", allow_pickle=False)
        if vectors.ndim == 2 and vectors.shape[0]:
            return int(vectors.shape[1])
    return int(ctx.make_embedder().dim)


def _live_ids(writer: IndexWriter, entries: list[dict[str, Any]], live: np.ndarray) -> list[str]:
    ids = [np.load(segment_folder(writer, e["name"]) / "passage_ids.npy", allow_pickle=False) for e in entries]
    if not ids:
        return []
    return [i.decode("ascii") for i in np.concatenate(ids)[live].tolist()]


def segment_folder(writer: IndexWriter, name: str) -> Path:
    """A segment being staged by this writer, or one already shared in the index folder."""
    staged = writer.segments_dir / name
    return staged if staged.is_dir() else writer.index_dir / "segments" / name
